public import StockroomCore

/// What the single writer knows and advances as it writes: owned by ``GroupCommitWriter``,
/// touched only inside its transactions.
public struct WriteContext: Sendable {
    public let nodeID: NodeID
    /// The seq the next local op gets. Re-read from the log at the start of every batch,
    /// so an admin command writing from another process cannot collide with the daemon.
    public internal(set) var nextSeq: UInt64
    public internal(set) var clock: HybridLogicalClock
    /// For each origin, the highest seq held with no gap below it.
    public internal(set) var knowledge: VersionVector
    /// The highest lsn in the log.
    public internal(set) var lastLSN: Int64

    /// Wall clock in milliseconds since the epoch. Injected so tests can skew it.
    let wallMillis: @Sendable () -> UInt64
    /// Where this node's own ops may write stock (rule V7): anywhere on a hub, the node's
    /// own locations on an edge. Set by ``StockroomStore/restrictLocalWrites(to:)``.
    public internal(set) var localLocations: LocationPolicy = .anywhere
    /// Alert evaluation (section 11.2), set by ``StockroomStore/enableAlerts(_:)`` in the
    /// daemon; nil in replays and admin commands, which announce nothing.
    public internal(set) var alerts: AlertEngine?
    /// Set while the node gets its own history back from its hub (meta `recovering`,
    /// sync-protocol section 15.1): local ops are refused, so none can take a seq the hub
    /// already holds under this node's name.
    public internal(set) var recoveringFrom: String?
    /// Counts applied since the store opened (and bumped when another process wrote):
    /// while it stands still, the winning counts (``StockroomStore/winningCuts(atLocationsOf:)``)
    /// have not changed, so a hub serving a snapshot page by page reuses them.
    public internal(set) var countsApplied: UInt64 = 0
    /// Ledger rows summed in this transaction, written before it commits (CellLedger).
    var ledger = CellLedger.Pending()

    /// Stamps and numbers the next local op.
    mutating func nextLocalID() -> (id: OpID, hlc: HLC) {
        let id = OpID(origin: nodeID, seq: nextSeq)
        return (id, clock.tick(wallMillis: wallMillis()))
    }

    /// Records that an op is now in the log.
    mutating func didAppend(_ op: Op, lsn: Int64) {
        if op.id.origin == nodeID, op.id.seq >= nextSeq { nextSeq = op.id.seq + 1 }
        if op.id.seq == knowledge[op.id.origin] + 1 { knowledge.advance(to: op.id) }
        // Our own stamps only: a remote op's stamp was observed, bounded by max_drift,
        // before it was applied (rule T1); following it here would undo that bound.
        if op.id.origin == nodeID { clock.observe(op.hlc) }
        lastLSN = lsn
    }
}
