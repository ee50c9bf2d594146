import Foundation
import GRDB
public import StockroomCore

/// Rule K2 (sync-protocol section 15.3): a store deletes from its own log the scans that
/// can no longer change a quantity, once its hub has said every count that can still
/// reach the store has seen them. The hub keeps them all.
extension StockroomStore {
    public struct CompactionReport: Sendable, Equatable {
        /// Deltas read and deltas deleted.
        public var scanned = 0
        public var deleted = 0
        /// The stable cut used; nil when the hub sent none old enough (nothing is deleted).
        public var stableCut: VersionVector?
    }

    /// Keeps the hub's stable cut with when it came and the hub log's `epoch`
    /// (``StableCutHistory``): a cut of a new epoch drops the older ones.
    public func recordStableCut(
        _ cut: VersionVector, epoch: String, nowMillis: UInt64 = StockroomStore.systemWallMillis()
    ) async throws {
        try await writer.write { db in
            var history = try Self.stableCutHistory(db) ?? StableCutHistory()
            history.record(cut, epoch: epoch, nowMillis: nowMillis)
            try db.execute(
                sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('stable_cuts', ?)", arguments: [history.text])
        }
    }

    /// The stable cuts the hub sent, or nil before the first.
    public func stableCutHistory() async throws -> StableCutHistory? {
        try await read { db in try Self.stableCutHistory(db) }
    }

    static func stableCutHistory(_ db: Database) throws -> StableCutHistory? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'stable_cuts'").flatMap(
            StableCutHistory.init(text:))
    }

    /// Deletes every delta rule K2 lets go: inside the newest stable cut received at least
    /// `delayDays` ago (so a hub restored from a younger backup still holds it), and its cell's
    /// winning count here, older than `historyDays` of business time, without a unit
    /// cost. Runs in transactions of at most `chunk` deltas on the single writer, so
    /// scans are held up by one chunk at most; each transaction also records this node's
    /// coverage of the origins it touched, so a delta sent again (a pull from 0 after a
    /// hub restore) is still known as held and never applied twice. A crash between
    /// chunks leaves a log that is smaller and as correct. Refused on a hub (it keeps the
    /// chain's history). Not undone: the ops are at the hub (`/v1/ops` there).
    public func compactHistory(
        historyDays: Int, delayDays: Int = 8, nowMillis: UInt64? = nil, chunk: Int = 5000
    ) async throws -> CompactionReport {
        var report = CompactionReport()
        let now = nowMillis ?? Self.systemWallMillis()
        guard try await storedRole() != "hub",
            let cut = try await stableCutHistory()?.cut(
                olderThan: UInt64(max(0, delayDays)) * 86_400_000, nowMillis: now)
        else { return report }
        report.stableCut = cut
        // The winners as of now: a count that arrives meanwhile has seen every delta it
        // could make matter (15.3), so an older map only ever keeps more.
        let dropped = HistoryCompaction(nowMillis: now, historyDays: historyDays).omitter(
            winningCuts: try await winningCuts(atLocationsOf: nodeID), stableCut: cut)
        var after: Int64 = 0
        while true {
            let start = after
            let (scanned, deleted, last) = try await groupWriter.submit { db, context -> (Int, Int, Int64?) in
                let rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: "SELECT \(OpRow.selectColumns) FROM ops WHERE kind = 1 AND lsn > ? ORDER BY lsn LIMIT ?"),
                    arguments: [start, chunk])
                var touched = Set<NodeID>()
                var deleted = 0
                var last: Int64?
                for row in rows {
                    let (lsn, op, _) = try OpRow.decode(row)
                    last = lsn
                    guard dropped(op) else { continue }
                    try db.execute(sql: "DELETE FROM ops WHERE lsn = ?", arguments: [lsn])
                    touched.insert(op.id.origin)
                    deleted += 1
                }
                for origin in touched {
                    // Our own: the highest we ever numbered; others: what we hold or cover.
                    let seq = origin == context.nodeID ? context.nextSeq - 1 : context.knowledge[origin]
                    try db.execute(
                        sql: """
                            INSERT INTO sync_coverage (origin, seq) VALUES (?, ?)
                            ON CONFLICT (origin) DO UPDATE SET seq = max(seq, excluded.seq)
                            """, arguments: [origin.rawValue, Int64(seq)])
                }
                return (rows.count, deleted, last)
            }
            report.scanned += scanned
            report.deleted += deleted
            guard let last else { break }
            after = last
        }
        return report
    }
}
