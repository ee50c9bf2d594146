import Foundation
public import GRDB
public import Logging
public import StockroomCore

/// The one door to a node's SQLite database.
///
/// Holds the connection pool, runs the named migrations on open, and funnels every write
/// through one ``GroupCommitWriter`` so ops get gap-free seqs and concurrent writers share
/// an fsync. Reads run concurrently on WAL snapshots and never wait for writes.
///
/// Durability: the pool runs with `journal_mode = WAL` and `synchronous = FULL`, so a
/// write method returns only after its transaction's WAL frames were fsynced. A crash or
/// power cut after that loses nothing acknowledged.
public final class StockroomStore: Sendable {
    public let nodeID: NodeID
    /// The location a node's own scans default to: its node id.
    public var homeLocation: String { nodeID.rawValue }
    let writer: any DatabaseWriter
    let groupWriter: GroupCommitWriter
    let logger: Logger
    /// The wall clock the node stamps with: the system's, plus ``clockOffset``.
    let wallMillis: @Sendable () -> UInt64
    /// Rule T2: how far this node's system clock is from its hub's, once a sync showed it.
    public let clockOffset: ClockOffset
    /// Set for on-disk pools only; a `DatabaseQueue` checkpoints by itself.
    private let checkpointer: WALCheckpointer?

    public static let systemWallMillis: @Sendable () -> UInt64 = {
        UInt64(Date().timeIntervalSince1970 * 1000)
    }

    /// SQLite's `synchronous` setting, which decides what an acknowledged write survives.
    public enum Durability: String, Sendable, CaseIterable {
        /// fsync of the WAL at every commit: an acknowledged write survives a crash of the
        /// process, the OS or the power. The default.
        case full
        /// fsync only at checkpoints: an acknowledged write survives a crash of the process
        /// (kill -9), but the last commits before a power cut or kernel panic may be lost.
        case normal
    }

    /// Opens (creating when missing) the database at `path`.
    ///
    /// - Parameters:
    ///   - nodeID: the node id to use. On first open it is stored; later opens must pass the
    ///     same id or nil. Nil on first open generates `node-XXXXXXXX`.
    ///   - didCommit: called after each group commit with the number of writes it held.
    /// - Throws: ``StoreError/nodeMismatch(stored:requested:)`` when the folder belongs to
    ///   another node; GRDB errors when the file cannot be opened or migrated.
    public convenience init(
        path: String, nodeID: NodeID? = nil, durability: Durability = .full,
        logger: Logger = Logger(label: "stockroom.store"),
        wallMillis: @escaping @Sendable () -> UInt64 = StockroomStore.systemWallMillis,
        didCommit: @escaping @Sendable (WriteContext, Int) -> Void = { _, _ in }
    ) throws {
        var configuration = Configuration()
        // Long enough for another process's import (one transaction) to finish: a writer
        // that waits is slow, one that gives up loses the scan.
        configuration.busyMode = .timeout(30)
        let synchronous = "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")"
        configuration.prepareDatabase { db in
            try db.execute(sql: synchronous)
            // Bounds the WAL file after a burst (it is truncated back to this at checkpoints).
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // Checkpoints run on their own connection (WALCheckpointer), not in a commit.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // 16 MiB of page cache per connection (SQLite default: 2 MiB): the hot B-tree
            // pages of a 10k-item store stay in memory instead of being re-read.
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        // A downgrade is refused before anything opens the file for writing (opening a pool
        // writes to it: journal mode, checkpoints), so the folder stays as the newer
        // version left it.
        if FileManager.default.fileExists(atPath: path) {
            // Not a read-only connection: on a WAL file whose -shm is missing or stale (a
            // folder copied while stopped), a read-only one cannot recover the index and
            // fails "database is locked" half the time. This one only reads.
            var probing = Configuration()
            probing.busyMode = .timeout(30)
            let probe = try DatabaseQueue(path: path, configuration: probing)
            defer { try? probe.close() }
            try StoreMigrations.refuseNewerSchema(probe)
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError
            where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM].contains(error.resultCode)
        {
            // An operator's command on a copy or as the wrong user: say so, not SQLite's words.
            throw StoreError.storageUnavailable(
                "cannot open \(path) for writing (it is read-only, or this user may not write its folder); run as the node's user, or copy the data folder somewhere writable"
            )
        }
        // Again, after the pool is open: GRDB's pool switches its writer to WAL and then sets
        // `synchronous = NORMAL`, after `prepareDatabase` ran. Without this, commits were
        // not fsynced (found by PowerCutTests).
        try pool.writeWithoutTransaction { db in try db.execute(sql: synchronous) }
        try self.init(
            writer: pool, nodeID: nodeID, logger: logger, wallMillis: wallMillis,
            checkpointer: try WALCheckpointer(path: path, logger: logger), didCommit: didCommit)
    }

    deinit { checkpointer?.stop() }

    /// Opens a store over any GRDB writer (a `DatabaseQueue` in tests).
    public convenience init(
        writer: any DatabaseWriter, nodeID requested: NodeID? = nil, logger: Logger = Logger(label: "stockroom.store"),
        wallMillis: @escaping @Sendable () -> UInt64 = StockroomStore.systemWallMillis,
        didCommit: @escaping @Sendable (WriteContext, Int) -> Void = { _, _ in }
    ) throws {
        try self.init(
            writer: writer, nodeID: requested, logger: logger, wallMillis: wallMillis, checkpointer: nil,
            didCommit: didCommit)
    }

    init(
        writer: any DatabaseWriter, nodeID requested: NodeID?, logger: Logger,
        wallMillis: @escaping @Sendable () -> UInt64, checkpointer: WALCheckpointer?,
        didCommit: @escaping @Sendable (WriteContext, Int) -> Void
    ) throws {
        try StoreMigrations.refuseNewerSchema(writer)
        try StoreMigrations.migrator.migrate(writer)
        let clockOffset = ClockOffset()
        let systemWallMillis = wallMillis
        let wallMillis: @Sendable () -> UInt64 = {
            UInt64(max(0, Int64(systemWallMillis()) + clockOffset.millis))
        }
        let nodeID = try writer.write { db -> NodeID in
            if let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node_id'") {
                guard let id = NodeID(stored) else { throw StoreError.invalid(field: "node_id", message: "corrupt") }
                if let requested, requested != id {
                    throw StoreError.nodeMismatch(stored: stored, requested: requested.rawValue)
                }
                return id
            }
            let id = requested ?? NodeID("node-" + Self.randomHex(bytes: 4))!
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('node_id', ?)", arguments: [id.rawValue])
            return id
        }
        let context = try writer.write { db in
            var context = try Self.loadContext(nodeID: nodeID, wallMillis: wallMillis, db: db)
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'rebuild_pending'") != nil {
                try Self.rebuild(db, context: &context)
            }
            return context
        }
        self.nodeID = nodeID
        self.writer = writer
        self.logger = logger
        self.wallMillis = wallMillis
        self.clockOffset = clockOffset
        self.checkpointer = checkpointer
        self.groupWriter = GroupCommitWriter(
            writer: writer, context: context, logger: logger, checkpointer: checkpointer, didCommit: didCommit)
    }

    /// Records the role this data folder serves on its first start, and refuses another
    /// later: a store's folder started as a hub would write anywhere and serve every
    /// store, a hub's started as an edge would refuse its own ops' locations.
    ///
    /// Throws ``StoreError/roleMismatch(stored:requested:)``; idempotent for the same role.
    /// The role this database was first served in (`edge` or `hub`), or nil before any.
    public func storedRole() async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'role'") }
    }

    public func claimRole(_ role: String) async throws {
        try await writer.write { db in
            if let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'role'") {
                guard stored == role else { throw StoreError.roleMismatch(stored: stored, requested: role) }
                return
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('role', ?)", arguments: [role])
        }
    }

    /// Restricts where this node's own ops may write stock (rule V7): an edge passes
    /// `.own(nodeID, extra: grants)`, a hub `.anywhere` (the default). Takes effect for the
    /// next write; not persisted (the daemon sets it at every start from its role).
    public func restrictLocalWrites(to policy: LocationPolicy) async throws {
        try await groupWriter.submit { _, context in context.localLocations = policy }
    }

    /// Evaluates alert rules as ops are applied from now on, and queues messages to
    /// `routing`'s recipients for the locations this node delivers (section 11).
    public func enableAlerts(_ routing: AlertRouting) async throws {
        let engine = AlertEngine(routing: routing, nodeID: nodeID)
        try await groupWriter.submit { _, context in context.alerts = engine }
    }

    /// Rebuilds the writer's knowledge from the log: next seq, clock, version vector.
    static func loadContext(
        nodeID: NodeID, wallMillis: @escaping @Sendable () -> UInt64, db: Database
    ) throws
        -> WriteContext
    {
        var knowledge = VersionVector()
        for row in try Row.fetchAll(db, sql: "SELECT origin, max(seq), count(*) FROM ops GROUP BY origin") {
            guard let origin = NodeID(row[0]) else { continue }
            // Gap-free by construction: max == count. When it is not, the contiguous
            // prefix is what we can vouch for.
            let maxSeq = UInt64(row[1] as Int64)
            let count = UInt64(row[2] as Int64)
            // Our own ops have holes only after a recovery (section 15.1): the missing
            // ones are at the hub, left out of a snapshot or not sent back. The next seq
            // must pass the highest we hold, whatever lies below it.
            knowledge[origin] =
                maxSeq == count || origin == nodeID ? maxSeq : try contiguousPrefix(origin: origin, db: db)
        }
        // An edge holds only the ops that concern it, so its coverage of other origins runs
        // past what it holds; pulls record it (sync-protocol section 4.3).
        for row in try Row.fetchAll(db, sql: "SELECT origin, seq FROM sync_coverage") {
            guard let origin = NodeID(row[0]) else { continue }
            knowledge[origin] = max(knowledge[origin], UInt64(row[1] as Int64))
        }
        // Never behind our own last stamp; other origins' stamps count only when within
        // wall + max_drift (rule T1), as when they were received: one beyond it is ignored.
        var clock = HybridLogicalClock()
        let own = try Int64.fetchOne(db, sql: "SELECT max(hlc) FROM ops WHERE origin = ?", arguments: [nodeID.rawValue])
        clock.observe(HLC(packed: own ?? 0))
        let bound = HLC(millis: wallMillis() + clock.maxForwardDrift, logical: HLC.maxLogical)
        let others = try Int64.fetchOne(
            db, sql: "SELECT max(hlc) FROM ops WHERE origin <> ? AND hlc <= ?",
            arguments: [nodeID.rawValue, bound.packed])
        _ = clock.observe(HLC(packed: others ?? 0), wallMillis: wallMillis())
        let lastLSN = try Int64.fetchOne(db, sql: "SELECT max(lsn) FROM ops") ?? 0
        var context = WriteContext(
            nodeID: nodeID, nextSeq: knowledge[nodeID] + 1, clock: clock, knowledge: knowledge, lastLSN: lastLSN,
            wallMillis: wallMillis)
        context.recoveringFrom = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'recovering'")
        return context
    }

    private static func contiguousPrefix(origin: NodeID, db: Database) throws -> UInt64 {
        var expected: UInt64 = 1
        let seqs = try Int64.fetchCursor(
            db, sql: "SELECT seq FROM ops WHERE origin = ? ORDER BY seq", arguments: [origin.rawValue])
        while let seq = try seqs.next(), UInt64(seq) == expected { expected += 1 }
        return expected - 1
    }

    /// This database's log epoch (see sync-protocol section 4.2).
    public func epoch() async throws -> String {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'epoch'") ?? "" }
    }

    /// The writer's view as of the last commit: this node's version vector, clock, lsn.
    public var writeContext: WriteContext { groupWriter.context }

    /// The folder of the database file, for large temporary files that belong beside it
    /// (a history upload being spooled); the system's temporary folder for an in-memory store.
    public var folder: String {
        let path = writer.path
        return path.hasPrefix("/") ? (path as NSString).deletingLastPathComponent : NSTemporaryDirectory()
    }

    /// Runs a read on a WAL snapshot.
    /// This node's wall clock (ms since the Unix epoch), as its writes see it.
    public func wallClockMillis() -> UInt64 { wallMillis() }

    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.read(body)
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }
}
