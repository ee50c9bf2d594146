/// Rule K1 of sync-protocol section 15.2: which deltas a hub may leave out of the
/// snapshot it serves a blank store, so the store starts from its counts instead of from
/// every scan since the chain began.
///
/// A delta inside the winning count's cut adds nothing to the cell (rule S2). It would
/// matter again only if a later winning count had not seen it. Every count that can
/// still reach this cell has seen it when:
/// - the puller is blank and writes nothing until the snapshot ends (rule R1), so its
///   own counts see the whole snapshot;
/// - the hub is one process over its own log, so its counts see every op it holds;
/// - no other node may write the location (no `--grant-location` of it to another
///   store): the hub neither compacts nor sends a stable cut for such a puller;
/// - a count made later by anyone has a higher stamp than the counts it saw (HLC), so a
///   count that lost to the winner never wins again.
///
/// Deltas whose business time is at or after the history horizon are kept whatever the
/// counts say: the store's reports, forecasts and anomaly scores read them. So is every
/// delta that carries a unit cost: stock value is the average over every costed receipt
/// ever (section 10.7), not over a window.
///
/// Pure: the same op, winning cut and horizon give the same answer on every hub.
public struct HistoryCompaction: Sendable, Hashable {
    /// Deltas with a business time (``Op/businessMillis``) before this may be left out.
    public var horizonMillis: UInt64

    public init(horizonMillis: UInt64) {
        self.horizonMillis = horizonMillis
    }

    /// The horizon `historyDays` days before `nowMillis` (0 days: every delta a count
    /// covers may go).
    public init(nowMillis: UInt64, historyDays: Int) {
        let span = UInt64(max(0, historyDays)) &* 86_400_000
        self.init(horizonMillis: nowMillis > span ? nowMillis - span : 0)
    }

    /// K1 as a pull's filter, and K2 as a store's: `winningCuts` of the puller's counted
    /// cells now, and a cut every count still to come has seen: over PostgreSQL the
    /// minimum of the hub processes' cuts (15.4), for K2 the hub's stable cut (15.3); nil
    /// when the hub is one process over its own log (its counts see everything).
    public func omitter(
        winningCuts: [StockKey: VersionVector], stableCut: VersionVector?
    ) -> @Sendable (Op) -> Bool {
        { op in
            guard let key = op.payload.stockKey else { return false }
            if let stableCut, !stableCut.contains(op.id) { return false }
            return omits(op, winningCut: winningCuts[key])
        }
    }

    /// Whether `op` may be left out, given the cut (context) of its cell's winning count
    /// at the hub now, or nil when the cell has no count.
    public func omits(_ op: Op, winningCut: VersionVector?) -> Bool {
        guard case .delta = op.payload, let winningCut, winningCut.contains(op.id),
            op.businessMillis < horizonMillis, op.facts?.unitCost == nil
        else { return false }
        return true
    }
}
