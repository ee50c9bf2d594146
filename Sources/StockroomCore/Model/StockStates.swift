/// Every state of a stock cell (sync-protocol section 10.1). The names are chosen so that
/// "reserved" never has to mean three things:
///
/// - `onHand`: units physically at the location (counts and deltas, rules S1–S4);
/// - `committed`: promised to customer orders, not yet fulfilled;
/// - `held`: in timed holds (click and collect) that have not expired;
/// - `unavailable`: on the premises but not for sale (damaged, quarantined);
/// - `incoming`: on sent purchase orders, not yet received;
/// - `inTransit`: shipped by a transfer to this location, not yet received.
///
/// Derived: `available = onHand − committed − held − unavailable` (may go negative, and
/// then a conflict says so) and `projected = onHand + incoming + inTransit − committed −
/// held`.
public struct StockStates: Hashable, Sendable {
    public var onHand: Int64
    public var committed: Int64
    public var held: Int64
    public var unavailable: Int64
    public var incoming: Int64
    public var inTransit: Int64

    public init(
        onHand: Int64 = 0, committed: Int64 = 0, held: Int64 = 0, unavailable: Int64 = 0, incoming: Int64 = 0,
        inTransit: Int64 = 0
    ) {
        self.onHand = onHand
        self.committed = committed
        self.held = held
        self.unavailable = unavailable
        self.incoming = incoming
        self.inTransit = inTransit
    }

    /// What may still be sold or promised.
    public var available: Int64 {
        StockMerge.sum(StockMerge.sum(onHand, -committed), -StockMerge.sum(held, unavailable))
    }

    /// What the cell will hold once every open document completes.
    public var projected: Int64 {
        StockMerge.sum(StockMerge.sum(onHand, StockMerge.sum(incoming, inTransit)), -StockMerge.sum(committed, held))
    }

    public mutating func add(_ quantity: Int64, to state: DocumentState.CellState) {
        switch state {
        case .committed: committed = StockMerge.sum(committed, quantity)
        case .held: held = StockMerge.sum(held, quantity)
        case .incoming: incoming = StockMerge.sum(incoming, quantity)
        case .inTransit: inTransit = StockMerge.sum(inTransit, quantity)
        case .promised: break  // rights, not units (section 10.6)
        }
    }
}
