import GRDB
import Logging
import StockroomCore
import Synchronization

/// The one writer: every change goes through here, and concurrent changes share one
/// transaction and one fsync (group commit).
///
/// Callers `submit` a unit of work. Work that arrives while a transaction is being written
/// waits and goes into the next one, so under load a batch grows to whatever arrived
/// during the previous fsync. Each unit runs inside its own savepoint: when one throws,
/// only its changes roll back and only its caller sees the error.
///
/// A caller's `submit` returns only after the transaction holding its work has committed
/// (and, with `synchronous = FULL`, reached the disk), so an acknowledged change survives
/// a crash. When the commit itself fails (disk full), every unit in the batch gets the
/// error and nothing of the batch is kept.
final class GroupCommitWriter: Sendable {
    typealias Work = @Sendable (Database, inout WriteContext) throws -> any Sendable

    private struct Job {
        let work: Work
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
        var context: WriteContext
    }

    private let writer: any DatabaseWriter
    private let state: Mutex<State>
    private let logger: Logger
    /// Called after each commit with the context as committed and the number of units.
    private let didCommit: @Sendable (WriteContext, Int) -> Void
    /// Most units per transaction: bounds the latency one batch can add to the next.
    private let maxBatch: Int
    /// WAL housekeeping, run between batches on the writer's connection. A `let`, not
    /// state behind a lock: a closure stored in generic storage and read back on every
    /// batch got wrapped in a new reabstraction thunk each time, and the chain grew
    /// with the log until the writer spent most of its time walking it.
    private let checkpointer: WALCheckpointer?

    init(
        writer: any DatabaseWriter, context: WriteContext, logger: Logger, maxBatch: Int = 2048,
        checkpointer: WALCheckpointer? = nil, didCommit: @escaping @Sendable (WriteContext, Int) -> Void = { _, _ in }
    ) {
        self.writer = writer
        self.checkpointer = checkpointer
        self.state = Mutex(State(context: context))
        self.logger = logger
        self.maxBatch = maxBatch
        self.didCommit = didCommit
    }

    /// The context as of the last commit.
    var context: WriteContext { state.withLock { $0.context } }

    /// Runs `work` in the next group transaction and returns its result after commit.
    ///
    /// Throws what `work` throws (its changes are rolled back), or
    /// ``StoreError/storageUnavailable(_:)`` when the transaction cannot be committed.
    func submit<T: Sendable>(_ work: @escaping @Sendable (Database, inout WriteContext) throws -> T) async throws -> T {
        let result = try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state in
                state.pending.append(Job(work: work, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain {
                writer.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }
        return result as! T
    }

    /// Runs on the database's writer queue until no work is pending.
    private func drain(_ db: Database) {
        while true {
            let (jobs, startContext): ([Job], WriteContext) = state.withLock { state in
                let take = min(state.pending.count, maxBatch)
                let jobs = Array(state.pending.prefix(take))
                state.pending.removeFirst(take)
                if jobs.isEmpty { state.draining = false }
                return (jobs, state.context)
            }
            if jobs.isEmpty { return }
            let started = ContinuousClock.now
            run(jobs, startingFrom: startContext, in: db)
            let committed = ContinuousClock.now
            checkpointer?.writerMaintenance(db)
            let finished = ContinuousClock.now
            if finished - started > .milliseconds(5) {
                logger.debug(
                    "slow group commit",
                    metadata: [
                        "writer.batch": "\(jobs.count)", "writer.commit_ms": "\((committed - started).milliseconds)",
                        "writer.checkpoint_ms": "\((finished - committed).milliseconds)",
                    ])
            }
        }
    }

    private func run(_ jobs: [Job], startingFrom startContext: WriteContext, in db: Database) {
        var context = startContext
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(jobs.count)
        do {
            try db.inTransaction(.immediate) {
                try Self.refresh(&context, db: db)
                let unit = try UnitSavepoint(db)
                for job in jobs {
                    let before = context
                    try unit.begin()
                    do {
                        let value = try job.work(db, &context)
                        try unit.release()
                        results.append(.success(value))
                    } catch {
                        // A failed rollback (the transaction itself is gone, as on a full
                        // disk) escapes and fails the whole batch below.
                        try unit.rollback()
                        context = before
                        context.alerts?.invalidate()  // it may have cached a rolled-back rule
                        results.append(.failure(Self.translate(error)))
                    }
                }
                try CellLedger.flush(&context.ledger, db: db)
                return .commit
            }
        } catch {
            let failure = Self.translate(error)
            context.alerts?.invalidate()
            logger.error("group commit failed", metadata: ["writer.batch": "\(jobs.count)", "error": "\(error)"])
            for job in jobs { job.continuation.resume(throwing: failure) }
            return
        }
        state.withLock { $0.context = context }
        didCommit(context, jobs.count)
        for (job, result) in zip(jobs, results) { job.continuation.resume(with: result) }
    }

    /// The savepoint each unit runs in, on cached statements: GRDB's `inSavepoint`
    /// prepares `SAVEPOINT` and `RELEASE` anew on every call, which showed in the
    /// per-scan profile.
    private struct UnitSavepoint {
        let open: HotStatement
        let close: HotStatement
        let undo: HotStatement

        init(_ db: Database) throws {
            open = try HotStatement(db, "SAVEPOINT unit")
            close = try HotStatement(db, "RELEASE SAVEPOINT unit")
            undo = try HotStatement(db, "ROLLBACK TO SAVEPOINT unit")
        }

        func begin() throws { try open.execute() }
        func release() throws { try close.execute() }
        func rollback() throws {
            try undo.execute()
            try close.execute()
        }
    }

    /// Picks up ops another process (an admin command) appended since our last batch.
    static func refresh(_ context: inout WriteContext, db: Database) throws {
        let lastLSN = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(lsn) FROM ops")) ?? 0
        guard lastLSN != context.lastLSN else { return }
        context.alerts?.invalidate()  // another process wrote: its settings too, perhaps
        context.countsApplied &+= 1  // and counts, perhaps
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, hlc FROM ops WHERE origin = ? ORDER BY seq DESC LIMIT 1"),
            arguments: [context.nodeID.rawValue])
        {
            let seq: UInt64 = UInt64(row[0] as Int64)
            context.nextSeq = max(context.nextSeq, seq + 1)
            context.knowledge.advance(to: OpID(origin: context.nodeID, seq: seq))
            context.clock.observe(HLC(packed: row[1]))
        }
        context.lastLSN = lastLSN
    }

    /// Maps SQLite's "disk full" and "read-only" to the error the API turns into a 503.
    static func translate(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_FULL: return StoreError.storageUnavailable("the disk is full; free space and retry")
        case .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN:
            return StoreError.storageUnavailable("\(error.message ?? "I/O error"); check the data folder's disk")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            // Not a full disk (finding 10 of issue #11): another process held the lock
            // past the busy timeout.
            return StoreError.busy
        default: return error
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
