import GRDB

extension StockroomStore {
    /// Takes SQLite's write lock through the group writer and lets it go without writing
    /// (`/readyz`). Rides along with whatever group commit is next, so it costs the scan
    /// path nothing. Throws what a write would throw now (the lock held elsewhere past the
    /// busy timeout, a read-only or failed file).
    public func probeWriteLock() async throws {
        try await groupWriter.submit { db, _ in
            _ = try Int.fetchOne(db, sql: "SELECT 1")
        }
    }

    /// Conflicts open now: not resolved by a later op nor by a person
    /// (`stockroom_conflicts_open`).
    public func openConflictCount() async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT count(*) FROM conflicts c \(Self.resolutionJoin) WHERE c.resolved_hlc IS NULL AND r.value IS NULL"
            ) ?? 0
        }
    }

    /// This binary's migrations not applied to the open database (empty once it opened:
    /// the store migrates before it opens), read again so a file swapped underneath is seen.
    public func pendingMigrations() async throws -> [String] {
        try StoreMigrations.status(writer).pending
    }

    /// The database file's path (its `-wal` beside it).
    public var databasePath: String { writer.path }
}
