import Foundation
import Logging
import PostgresNIO
public import StockroomCore

/// Rules K1 and K2 over PostgreSQL (sync-protocol section 15.4). A count made by a hub
/// process has seen what that process's replica held. Each process publishes the cut its
/// replica had reached once every own op it made before that moment is in the log; the
/// pointwise minimum over every process is then a cut that every count not yet in the log
/// has seen, whichever process makes it.
extension PostgresHubLog {
    /// Publishes `cut` for `node`. Call it only after every own op made before `cut` was
    /// read has been appended. Idempotent; a cut never moves back.
    public func publishCut(_ cut: VersionVector, node: NodeID) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            var held: VersionVector?
            let rows = try await connection.query(
                "SELECT cut FROM hub_process_cuts WHERE node = \(node.rawValue) FOR UPDATE", logger: self.logger)
            for try await text in rows.decode(String.self) { held = VersionVector(compactText: text) }
            let merged = held.map { $0.merging(cut) } ?? cut
            try await connection.query(
                """
                INSERT INTO hub_process_cuts (node, cut, published_at) VALUES (\(node.rawValue), \(merged.compactText), \(now))
                ON CONFLICT (node) DO UPDATE SET cut = excluded.cut, published_at = excluded.published_at
                """, logger: self.logger)
        }
    }

    /// Every process's published cut, by node.
    public func processCuts() async throws -> [(node: String, cut: VersionVector, publishedAt: Int64)] {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var cuts: [(node: String, cut: VersionVector, publishedAt: Int64)] = []
            for try await (node, text, at) in try await connection.query(
                "SELECT node, cut, published_at FROM hub_process_cuts ORDER BY node", logger: self.logger
            ).decode((String, String, Int64).self) {
                cuts.append((node, VersionVector(compactText: text) ?? VersionVector(), at))
            }
            return cuts
        }
    }

    /// The pointwise minimum of every published cut; empty when none is published. With
    /// `puller`, only the origins that may write its cells: itself and the hub (its
    /// processes and the log's own node); a smaller cut only ever lets a store drop less.
    ///
    /// For a puller it reads the database at most once a second (``recentCuts``): a cut
    /// read earlier is still read before the page, and still true (cuts never move back,
    /// and a process that starts publishes before it makes an op, whose counts then see
    /// the whole log as of then).
    public func stableCut(for puller: NodeID? = nil) async throws -> VersionVector {
        let now = ContinuousClock.now
        let cuts: [(node: String, cut: VersionVector)]
        if puller != nil, let recent = recentCuts.withLock({ $0 }), now - recent.readAt < .seconds(1) {
            cuts = recent.cuts
        } else {
            cuts = try await processCuts().map { ($0.node, $0.cut) }
            recentCuts.withLock { $0 = (now, cuts) }
        }
        guard let first = cuts.first?.cut else { return VersionVector() }
        let minimum = cuts.dropFirst().reduce(first) { $0.meeting($1.cut) }
        guard let puller else { return minimum }
        var writers = Set(cuts.compactMap { NodeID($0.node) })
        writers.insert(puller)
        writers.insert(cachedIdentity.node)
        return minimum.restricted(to: writers)
    }

    /// Forgets a retired process, whose last cut would otherwise hold the minimum back
    /// for good. Returns whether it was there.
    @discardableResult
    public func forgetProcess(_ node: String) async throws -> Bool {
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            let rows = try await connection.query(
                "DELETE FROM hub_process_cuts WHERE node = \(node) RETURNING node", logger: self.logger)
            var found = false
            for try await _ in rows.decode(String.self) { found = true }
            return found
        }
    }
}
