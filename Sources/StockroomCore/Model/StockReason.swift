/// Why stock moved. The reason fixes the sign of a scan's quantity, so a scanner sends a
/// positive number of units and cannot get the direction wrong.
public enum StockReason: String, CaseIterable, Hashable, Sendable {
    case sale, `return`, receive, adjust, damage, transfer

    /// How the signed delta follows from a scanned, positive quantity.
    public enum Sign: Sendable {
        case removes, adds, signed
    }

    public var sign: Sign {
        switch self {
        case .sale, .damage: .removes
        case .return, .receive: .adds
        case .adjust, .transfer: .signed
        }
    }

    /// Stable small integers for the database and the wire; never renumber.
    public var code: UInt8 {
        switch self {
        case .sale: 1
        case .return: 2
        case .receive: 3
        case .adjust: 4
        case .damage: 5
        case .transfer: 6
        }
    }

    public init?(code: UInt8) {
        guard let reason = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = reason
    }
}
