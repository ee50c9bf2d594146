import GRDB
public import StockroomCore

/// What applying a batch of peer ops did.
public struct RemoteApplyReport: Hashable, Sendable {
    public var applied = 0
    /// Ops already held (a retried or duplicated batch): skipped, not errors.
    public var duplicates = 0
    /// Ops whose timestamp was beyond the drift bound (rule T1); applied and reported.
    public var clamped = 0
    /// After the batch, this node's coverage of each origin the batch touched.
    public var coverage = VersionVector()
}

/// Why a peer's batch was refused whole.
public enum SyncRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// A push held an op whose origin is not the pushing node.
    case foreignOrigin(op: String, peer: String)

    public var description: String {
        switch self {
        case .foreignOrigin(let op, let peer):
            "op \(op) is not of origin '\(peer)': a node may push only its own ops; the hub relays the rest"
        }
    }
}

extension StockroomStore {
    /// Applies ops a peer pushed: all of origin `peer`, continuing that origin's log
    /// without a gap, each meeting ``OpRules`` with `locations` as the peer's grant (rule
    /// V7). Checks the whole batch first; applies it, and the time of this contact with
    /// the peer (for the hub's status), in one transaction. Idempotent: ops already held
    /// are skipped.
    ///
    /// Throws ``SyncRefusal`` (foreign origin), ``OpViolation`` (an op breaks a rule; its
    /// index names it) or ``StoreError/sequenceGap(origin:expected:got:)``; nothing is
    /// applied then.
    public func applyPushed(
        _ ops: [Op], from peer: NodeID, locations: LocationPolicy
    ) async throws
        -> RemoteApplyReport
    {
        if let foreign = ops.first(where: { $0.id.origin != peer }) {
            throw SyncRefusal.foreignOrigin(op: foreign.id.description, peer: peer.rawValue)
        }
        return try await groupWriter.submit { db, context in
            let report = try Self.apply(
                ops, allowGaps: false, coverage: VersionVector(), locations: { _ in locations }, requireKnownSKUs: true,
                db: db, context: &context)
            try Self.recordExchange(with: peer, epoch: nil, cursor: nil, db: db, context: context)
            return report
        }
    }

    /// Records a successful exchange with `peer` (and, for a pull, where we are in its
    /// log). Writes only when something changed or the recorded time is over a minute
    /// old: an idle store pulls every second, and an unchanged row then costs no write
    /// and no fsync.
    static func recordExchange(
        with peer: NodeID, epoch: String?, cursor: UInt64?, db: Database, context: WriteContext
    )
        throws
    {
        try db.cachedStatement(
            sql: """
                INSERT INTO sync_peers (peer, epoch, cursor, last_success_ms, last_error)
                VALUES (?1, coalesce(?2, ''), coalesce(?3, 0), ?4, NULL)
                ON CONFLICT (peer) DO UPDATE SET
                    -- A stale answer (a duplicate delivered late) never moves the cursor back.
                    cursor = CASE WHEN ?2 IS NULL THEN cursor
                                  WHEN epoch = ?2 THEN max(cursor, ?3) ELSE ?3 END,
                    epoch = coalesce(?2, epoch), last_success_ms = ?4, last_error = NULL
                WHERE (?2 IS NOT NULL AND (epoch != ?2 OR cursor < ?3)) OR last_error IS NOT NULL
                    OR last_success_ms IS NULL OR last_success_ms < ?4 - 60000
                """
        ).execute(arguments: [peer.rawValue, epoch, cursor.map(Int64.init), Int64(context.wallMillis())])
    }

    /// Applies ops written by other nodes (tests, tools), strictly: each origin's ops must
    /// continue its log without a gap, and every op meets ``OpRules`` as an op relayed by
    /// a hub (no location rule). See ``applyPushed(_:from:locations:)``.
    public func applyRemote(_ ops: [Op]) async throws -> RemoteApplyReport {
        try await groupWriter.submit { db, context in
            try Self.apply(
                ops, allowGaps: false, coverage: VersionVector(), locations: { _ in nil }, db: db, context: &context)
        }
    }

    /// Applies a batch pulled from `peer`, raises coverage to what the batch reports and
    /// records the peer's epoch and cursor, in one transaction: a crash between two pulls
    /// resumes exactly where it stopped, and a batch received twice applies nothing twice.
    /// Gaps within an origin are expected (ops that do not concern this node are skipped).
    ///
    /// The answer is held to the rules a push meets (``PullAnswerRules``): from a store,
    /// only its own ops and coverage; every op meets ``OpRules``. Throws
    /// ``PullAnswerViolation`` or ``OpViolation``; nothing is applied then.
    public func applyPulled(
        _ batch: SyncBatch, from peer: NodeID, source: PullSource
    ) async throws
        -> RemoteApplyReport
    {
        return try await groupWriter.submit { db, context in
            let held = context.knowledge[peer]
            if let violation = PullAnswerRules.check(batch, from: peer, source: source, held: held) { throw violation }
            // A store's own log has no gaps, so neither may its answer.
            let report = try Self.apply(
                batch.ops, allowGaps: source == .hub, coverage: batch.coverage, locations: source.locations(peer: peer),
                requireKnownSKUs: source != .hub, db: db, context: &context)
            try Self.recordExchange(with: peer, epoch: batch.epoch, cursor: batch.cursor, db: db, context: context)
            return report
        }
    }

    /// The shared apply of peer ops: validate everything, then apply in order.
    static func apply(
        _ ops: [Op], allowGaps: Bool, coverage: VersionVector, locations: (NodeID) -> LocationPolicy?,
        requireKnownSKUs: Bool = false, db: Database, context: inout WriteContext
    ) throws -> RemoteApplyReport {
        let wall = context.wallMillis()
        if let violation = OpRules.checkBatch(ops, wallMillis: wall, locations: locations) { throw violation }
        var expected = context.knowledge
        for op in ops where op.id.origin != context.nodeID && op.id.seq > expected[op.id.origin] {
            if !allowGaps && op.id.seq != expected[op.id.origin] + 1 {
                throw StoreError.sequenceGap(
                    origin: op.id.origin.rawValue, expected: expected[op.id.origin] + 1, got: op.id.seq)
            }
            expected[op.id.origin] = op.id.seq
        }
        var report = RemoteApplyReport()
        for (index, op) in ops.enumerated() {
            // Ops of the kinds an older puller was not sent lie below its coverage once
            // it upgrades and pulls again (section 8): those are deduplicated by id.
            var fresh = op.id.seq > context.knowledge[op.id.origin]
            if !fresh, op.payload.kind.protocolVersion > 1, op.id.origin != context.nodeID {
                fresh = try !OpRow.isHeld(op.id, db: db)
            }
            // Our own ops come back in every pull (they concern us) and are held. One that
            // is not held was lost with a disk or a restore (section 15.1): it is ours, and
            // applying it gives the node its history back and moves its next seq past it.
            guard fresh else {
                report.duplicates += 1
                // Our own are not re-read: they come back in every pull.
                if op.id.origin != context.nodeID { try flagMismatch(op, db: db) }
                continue
            }
            if case .clamped(let bound) = context.clock.observe(op.hlc, wallMillis: wall) {
                report.clamped += 1
                try recordClockClamp(op, bound: bound, db: db)
            }
            do {
                _ = try OpApplier.apply(
                    op, recordResult: false, appliedAt: wall, requireKnownSKU: requireKnownSKUs, in: db,
                    context: &context)
            } catch var violation as OpViolation {
                violation.index = index
                throw violation
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                // The only constraint a valid new op can meet: its (device, scan id) names
                // another op of its origin already held (rule V8). A lying or buggy peer;
                // refused whole, like any other broken rule, instead of a 500.
                throw OpViolation(
                    rule: .scanID, op: op.id, index: index,
                    message:
                        "device '\(op.device ?? "")' already used scan id '\(op.scanID ?? "")' for another op of \(op.id.origin)"
                )
            }
            // Past a filtered gap, didAppend cannot advance the prefix; the op's own seq
            // is still covered (every earlier op of its origin that concerns us is held).
            if op.id.seq > context.knowledge[op.id.origin] { context.knowledge[op.id.origin] = op.id.seq }
            report.applied += 1
            report.coverage[op.id.origin] = context.knowledge[op.id.origin]
        }
        for (origin, seq) in coverage.sortedEntries where seq > context.knowledge[origin] {
            context.knowledge[origin] = seq
            report.coverage[origin] = seq
            // The hub holds ops of ours up to `seq` that were not sent back (they concern
            // none of our locations): never number a new op below it (section 15.1).
            if origin == context.nodeID { context.nextSeq = max(context.nextSeq, seq + 1) }
        }
        // Persisted with the ops, for every origin the batch touched: on a node that holds
        // only what concerns it, coverage cannot be recomputed from the ops after a
        // restart (the prefix stops at the first op it never received), and a regressed
        // coverage would let a late duplicate apply twice.
        for (origin, seq) in report.coverage.sortedEntries { try saveCoverage(origin, seq, db: db) }
        return report
    }

    private static func saveCoverage(_ origin: NodeID, _ seq: UInt64, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO sync_coverage (origin, seq) VALUES (?, ?)
                ON CONFLICT (origin) DO UPDATE SET seq = max(seq, excluded.seq)
                """
        ).execute(arguments: [origin.rawValue, Int64(seq)])
    }

    /// A duplicate must be the op held under its id. One that differs is listed as an
    /// `op_mismatch` conflict (someone is lying); the held op stays. Only duplicates pay
    /// for this read, and an edge that never held the op (not its concern) skips it.
    private static func flagMismatch(_ op: Op, db: Database) throws {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(OpRow.selectColumns) FROM ops WHERE origin = ? AND seq = ?"),
                arguments: [op.id.origin.rawValue, Int64(op.id.seq)]),
            let held = try? OpRow.decode(row).op, held != op
        else { return }
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, detail, detected_hlc)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            ConflictKind.opMismatch.rawValue, held.payload.sku, held.payload.stockKey?.location, op.id.description,
            "op \(op.id) arrived again with different content (\(op.payload.kind.name) of \(op.payload.sku)); the op held since it first arrived stays",
            held.hlc.packed,
        ])
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
