public import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// A consistent copy of a node's database file, taken while the daemon may be serving and
/// writing it (issue #16, backups). SQLite's online backup API (through GRDB) copies every
/// page in one step inside one read transaction, so the copy is the database as of one
/// instant: a commit after it began is not in it, and none is half in it. Writers are not
/// blocked (WAL); the copy never restarts.
public enum DatabaseCopy {
    /// What a copy holds, read from the copy itself.
    public struct Summary: Sendable {
        /// The node the database belongs to (the `meta` table), when it has one.
        public var node: String?
        public var ops: Int64
        public var lastLSN: Int64
        /// The migrations applied, newest last (e.g. `v9-alert-recipients`).
        public var schema: String?
    }

    /// Pages copied per step (4 MiB at 4 KiB pages); between steps the copy pauses
    /// ``pause`` and, every ``syncEvery`` steps, flushes what it wrote. A daemon's commits
    /// fsync too: one flush of a whole gigabyte at the end queued them behind it for
    /// 200 ms (bench/backup.sh).
    static let pagesPerStep: CInt = 1024
    static let pause: UInt32 = 20_000  // µs
    static let syncEvery = 8

    /// Copies `source` to `destination` (which must not exist). The copy is stepped but
    /// consistent: every step reads the one snapshot of the read transaction it runs in
    /// (GRDB's pool reads are transactions), so a commit after it began is never in it and
    /// the copy never restarts. Throws `DatabaseError` from SQLite, or
    /// `StoreError.invalid` when the destination exists. A failed copy leaves no
    /// destination file.
    public static func copy(from source: String, to destination: String) throws -> Summary {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreError.invalid(field: "to", message: "\(destination) exists already")
        }
        // Only reads the source, through read-write connections: a read-only one cannot
        // recover the WAL index of a stopped node's file (see StockroomStore.init).
        var reading = Configuration()
        reading.busyMode = .timeout(30)
        do {
            let from = try DatabasePool(path: source, configuration: reading)
            let to = try DatabaseQueue(path: destination)
            // The destination is checked and renamed into place only once whole: its own
            // journal and syncs would buy nothing.
            try to.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF")
                try db.execute(sql: "PRAGMA synchronous = OFF")
            }
            var steps = 0
            try from.backup(to: to, pagesPerStep: pagesPerStep) { progress in
                steps += 1
                guard !progress.isCompleted else { return }
                if steps % syncEvery == 0 { flush(destination) }
                usleep(pause)
            }
            flush(destination)
            // A plain rollback-journal file: it opens read-only anywhere (a WAL file needs
            // its -shm beside it), and a daemon switches it back to WAL when it opens it.
            try to.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
            try to.close()
            try from.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
        return try summary(of: destination)
    }

    /// The integrity check's complaints ("ok" is none) and what the file holds, read
    /// without writing (a backup's checksum stays valid). `quick` runs SQLite's
    /// `quick_check` (every page and record readable and well-formed, not every index
    /// entry against its row: a fraction of the CPU), as a backup does beside a serving
    /// daemon; a restore runs the full check and the replay of `stockroom check`.
    public static func check(_ path: String, quick: Bool = false) throws -> (problems: [String], summary: Summary) {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? queue.close() }
        let problems = try queue.read { db in
            try String.fetchAll(db, sql: quick ? "PRAGMA quick_check" : "PRAGMA integrity_check").filter {
                $0 != "ok"
            }
        }
        return (problems, try summary(of: path))
    }

    /// Writes the file's dirty pages to disk now (fdatasync), in bounded pieces.
    static func flush(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fdatasync(fd)
        close(fd)
    }

    static func summary(of path: String) throws -> Summary {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? queue.close() }
        return try queue.read { db in
            let node =
                try db.tableExists("meta")
                ? try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node_id'") : nil
            let ops = try db.tableExists("ops") ? try Int64.fetchOne(db, sql: "SELECT count(*) FROM ops") ?? 0 : 0
            let last = try db.tableExists("ops") ? try Int64.fetchOne(db, sql: "SELECT max(lsn) FROM ops") ?? 0 : 0
            let schema =
                try db.tableExists("grdb_migrations")
                ? try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1")
                : nil
            return Summary(node: node, ops: ops, lastLSN: last, schema: schema)
        }
    }
}

/// Which of this binary's migrations a database file has, read without writing.
public enum SchemaStatus {
    /// Applied (in order) and pending migrations. Throws
    /// ``StoreError/schemaNewer(found:known:)`` for a file a newer stockroom migrated.
    public static func read(path: String) throws -> (applied: [String], pending: [String]) {
        // Reads only, through a read-write connection: see the probe in StockroomStore.init.
        var reading = Configuration()
        reading.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: path, configuration: reading)
        defer { try? queue.close() }
        try StoreMigrations.refuseNewerSchema(queue)
        return try StoreMigrations.status(queue)
    }

    /// The newest migration this binary knows (its schema version), e.g. `v9-alert-recipients`.
    public static var current: String { StoreMigrations.current }

    /// How many migrations this binary knows: the schema's number (`v10-…` is 10).
    public static var known: Int { StoreMigrations.migrator.migrations.count }
}
