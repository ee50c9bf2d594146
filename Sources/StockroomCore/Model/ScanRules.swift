/// What a scan asks for: a stock movement for a reason, or a shelf count.
public enum ScanAction: Hashable, Sendable {
    case move(StockReason)
    case count

    /// Parses the `reason` of a scan request: any ``StockReason`` name, or `count`.
    public init?(reason: String) {
        if reason == "count" {
            self = .count
        } else if let stockReason = StockReason(rawValue: reason) {
            self = .move(stockReason)
        } else {
            return nil
        }
    }

    public var name: String {
        switch self {
        case .move(let reason): reason.rawValue
        case .count: "count"
        }
    }

    public static let names = StockReason.allCases.map(\.rawValue) + ["count"]

    /// The signed change a scan of `quantity` units makes, or a message saying why the
    /// quantity is not acceptable for this action. For `.count` the result is the counted
    /// quantity itself.
    ///
    /// - sale, damage: `quantity` > 0 units leave the shelf.
    /// - return, receive: `quantity` > 0 units arrive.
    /// - adjust, transfer: a signed, non-zero correction.
    /// - count: the absolute number on the shelf, zero allowed.
    public func signedQuantity(_ quantity: Int64) -> Result<Int64, ScanQuantityError> {
        let limit = InputRules.maxQuantity
        switch self {
        case .count:
            guard (0...limit).contains(quantity) else {
                return .failure(ScanQuantityError(message: "a count must be between 0 and \(limit)"))
            }
            return .success(quantity)
        case .move(let reason):
            switch reason.sign {
            case .removes, .adds:
                guard (1...limit).contains(quantity) else {
                    return .failure(
                        ScanQuantityError(
                            message: "qty must be a whole number of units from 1 to \(limit) for \(reason.rawValue)"))
                }
                return .success(reason.sign == .removes ? -quantity : quantity)
            case .signed:
                guard quantity != 0, (-limit...limit).contains(quantity) else {
                    return .failure(
                        ScanQuantityError(
                            message: "qty for \(reason.rawValue) must be non-zero and between -\(limit) and \(limit)"))
                }
                return .success(quantity)
            }
        }
    }
}

extension ScanAction {
    /// The inverse of ``signedQuantity(_:)``: checks a signed change already in an op (a
    /// peer's delta) against this action's rule, so a pushed "sale of +5" or a delta of
    /// `Int64.max` is refused exactly as the API would refuse the scan.
    public func unsignedQuantity(for change: Int64) -> Result<Int64, ScanQuantityError> {
        guard change != .min else { return .failure(ScanQuantityError(message: "quantity is out of range")) }
        let unsigned: Int64
        switch self {
        case .count: unsigned = change
        case .move(let reason): unsigned = reason.sign == .removes ? -change : change
        }
        switch signedQuantity(unsigned) {
        case .success: return .success(unsigned)
        case .failure(let error):
            if case .move(let reason) = self, reason.sign != .signed, unsigned < 0, unsigned >= -InputRules.maxQuantity
            {
                let direction =
                    reason.sign == .removes ? "take units out (a negative quantity)" : "add units (a positive quantity)"
                return .failure(ScanQuantityError(message: "a \(reason.rawValue) must \(direction)"))
            }
            return .failure(error)
        }
    }
}

public struct ScanQuantityError: Error, Hashable, Sendable {
    public var message: String
}
