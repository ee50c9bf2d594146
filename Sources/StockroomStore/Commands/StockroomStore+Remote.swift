import GRDB
public import StockroomCore

/// What applying a batch of peer ops did.
public struct RemoteApplyReport: Hashable, Sendable {
    public var applied = 0
    /// Ops already held (a retried or duplicated batch): skipped, not errors.
    public var duplicates = 0
    /// Ops whose timestamp was beyond the clock bound (rule T1); applied and reported.
    public var clamped = 0
}

extension StockroomStore {
    /// Applies ops written by other nodes, all in one transaction with the bookkeeping
    /// that records them, so a crash applies all or none and a retry skips what is held.
    ///
    /// Idempotent: an op whose (origin, seq) is already in the log is skipped. Ops of one
    /// origin must continue that origin's log without a gap; otherwise the whole batch is
    /// refused with ``StoreError/sequenceGap(origin:expected:got:)`` and nothing applies.
    /// Ops of this node's own origin are skipped (the log is the authority on them).
    public func applyRemote(_ ops: [Op]) async throws -> RemoteApplyReport {
        try await groupWriter.submit { db, context in
            var report = RemoteApplyReport()
            for op in ops {
                let held = context.knowledge[op.id.origin]
                if op.id.seq <= held || op.id.origin == context.nodeID {
                    report.duplicates += 1
                    continue
                }
                guard op.id.seq == held + 1 else {
                    throw StoreError.sequenceGap(origin: op.id.origin.rawValue, expected: held + 1, got: op.id.seq)
                }
                if case .clamped(let bound) = context.clock.observe(op.hlc, wallMillis: context.wallMillis()) {
                    report.clamped += 1
                    try Self.recordClockClamp(op, bound: bound, db: db)
                }
                _ = try OpApplier.apply(
                    op, recordResult: false, appliedAt: context.wallMillis(), in: db, context: &context)
                report.applied += 1
            }
            return report
        }
    }

    private static func recordClockClamp(_ op: Op, bound: HLC, db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, detail, detected_hlc)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                ConflictKind.clockClamped.rawValue, op.payload.sku, op.payload.stockKey?.location, op.id.description,
                "op stamped \(op.hlc.millis) ms is ahead of this node's clock bound \(bound.millis) ms; origin \(op.id.origin)'s clock is wrong",
                bound.packed,
            ])
    }
}
