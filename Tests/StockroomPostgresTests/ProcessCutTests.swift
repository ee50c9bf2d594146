import Foundation
import StockroomCore
import StockroomPostgres
import Testing

/// Sync-protocol 15.4: the stable cut over PostgreSQL is the pointwise minimum of every
/// hub process's published cut; a cut never moves back; a retired process is forgotten.
@Suite struct ProcessCutTests {
    static let hub = NodeID("hub")!

    @Test func theStableCutIsTheMinimumOfEveryProcesssCut() async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        let log = try await PostgresHubLog.open(PostgresURL(url), proposedNode: Self.hub, logger: TestPostgres.logger)
        defer { log.close() }
        #expect(try await log.stableCut().isEmpty, "no process has published")
        let a = NodeID("hub-a")!
        let b = NodeID("hub-b")!
        let s1 = NodeID("store-1")!
        let s2 = NodeID("store-2")!
        try await log.publishCut(VersionVector([s1: 30, s2: 5]), node: a)
        #expect(try await log.stableCut() == VersionVector([s1: 30, s2: 5]))
        try await log.publishCut(VersionVector([s1: 10, s2: 9, a: 2]), node: b)
        #expect(try await log.stableCut() == VersionVector([s1: 10, s2: 5]))
        // Never back: an older cut published late changes nothing.
        try await log.publishCut(VersionVector([s1: 1]), node: b)
        #expect(try await log.stableCut() == VersionVector([s1: 10, s2: 5]))
        #expect(try await log.forgetProcess("hub-b"))
        #expect(try await !log.forgetProcess("hub-b"))
        #expect(try await log.stableCut() == VersionVector([s1: 30, s2: 5]))
    }
}
