/// The business facts of a stock movement (sync-protocol section 12): when it happened in
/// the shop, and what a unit cost or sold for. Separate from the op's HLC, which says when
/// the op was *written*: an imported history row from 2024 is written today, and a scan
/// from a scanner that was offline for a day is written when it comes back.
///
/// Reports, forecasts and anomaly scores use ``Op/businessMillis``; the merge rules never
/// look at these facts, so they cannot change a quantity.
public struct OpFacts: Hashable, Sendable {
    /// When the movement happened, in ms since the Unix epoch (UTC).
    public var occurredAt: UInt64?
    /// What one unit cost, in cents (a receipt's landed cost).
    public var unitCost: Int64?
    /// What one unit sold or was refunded for, in cents.
    public var unitPrice: Int64?

    public init(occurredAt: UInt64? = nil, unitCost: Int64? = nil, unitPrice: Int64? = nil) {
        self.occurredAt = occurredAt
        self.unitCost = unitCost
        self.unitPrice = unitPrice
    }

    /// Whether it holds nothing (an op without facts is written as `nil`).
    public var isEmpty: Bool { occurredAt == nil && unitCost == nil && unitPrice == nil }

    /// The earliest business time accepted: 2000-01-01T00:00:00Z.
    public static let earliestMillis: UInt64 = 946_684_800_000
    /// How far past the op's own stamp a business time may lie: a scanner's clock may run
    /// a little ahead of the node's, but nothing happens after it is written down.
    public static let maxLeadMillis: UInt64 = 5 * 60 * 1000

    /// Rule V14: why these facts cannot belong to an op of `kind` stamped at `stampMillis`,
    /// or nil.
    public func problem(kind: OpKind, stampMillis: UInt64) -> String? {
        guard kind == .delta || kind == .count else { return "only a delta or a count carries business facts" }
        if let occurredAt {
            guard occurredAt >= Self.earliestMillis else { return "occurred_at is before 2000-01-01" }
            guard occurredAt <= stampMillis &+ Self.maxLeadMillis else {
                return "occurred_at lies after the op was written (a movement in the future)"
            }
        }
        for (name, cents) in [("unit_cost", unitCost), ("unit_price", unitPrice)] {
            if let cents, !(0...InputRules.maxPriceCents).contains(cents) {
                return "\(name) must be 0 to \(InputRules.maxPriceCents) cents"
            }
        }
        return nil
    }
}

extension Op {
    /// When the movement happened: its `occurred_at`, else the wall time of its stamp.
    @inlinable public var businessMillis: UInt64 { facts?.occurredAt ?? hlc.millis }

    /// The first sync protocol version that carries this op whole: its kind's, 4 for the
    /// review register, and 4 for business facts (section 12). A puller of an older
    /// version is sent the op without its facts, which do not change any quantity.
    public var protocolVersion: Int {
        max(payload.protocolVersion, facts == nil ? 1 : 4)
    }
}

extension OpPayload {
    /// The first protocol version that can decode this payload.
    public var protocolVersion: Int {
        if case .setting(let setting) = self { return setting.protocolVersion }
        return kind.protocolVersion
    }
}
