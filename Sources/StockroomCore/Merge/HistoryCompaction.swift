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
///   store);
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
    /// Locations another node besides the hub and the puller may write (granted ones):
    /// nothing of theirs is left out.
    public var sharedLocations: Set<String>

    public init(horizonMillis: UInt64, sharedLocations: Set<String> = []) {
        self.horizonMillis = horizonMillis
        self.sharedLocations = sharedLocations
    }

    /// The horizon `historyDays` days before `nowMillis` (0 days: every delta a count
    /// covers may go).
    public init(nowMillis: UInt64, historyDays: Int, sharedLocations: Set<String> = []) {
        let span = UInt64(max(0, historyDays)) &* 86_400_000
        self.init(horizonMillis: nowMillis > span ? nowMillis - span : 0, sharedLocations: sharedLocations)
    }

    /// Rule K2 (section 15.3): whether a store may delete `op` from its own log, given its
    /// cell's winning cut here and the stable cut its hub sent on the last pull that
    /// reached the end of the hub's log (every count that can still reach the cell has
    /// seen every op inside it).
    public func mayDrop(_ op: Op, winningCut: VersionVector?, stableCut: VersionVector) -> Bool {
        stableCut.contains(op.id) && omits(op, winningCut: winningCut)
    }

    /// K1 as a pull's filter: `winningCuts` of the puller's counted cells at the hub now,
    /// and, over PostgreSQL, the cut every hub process's later counts have seen (15.4);
    /// nil when the hub is one process over its own log (its counts see everything).
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
        guard case .delta(let key, _, _) = op.payload, let winningCut, winningCut.contains(op.id),
            op.businessMillis < horizonMillis, op.facts?.unitCost == nil, !sharedLocations.contains(key.location)
        else { return false }
        return true
    }
}
