import Foundation
import StockroomCore
import StockroomPostgres
import Testing

/// Schema v5: dashboard users shared by hub processes (last writer wins per user) and
/// the dashboard's sessions kept in the database, so any process can serve a browser.
@Suite struct SharedUsersTests {
    static func record(
        _ name: String, role: String = "staff", hash: String = "h0", disabledAt: Int64? = nil,
        signedIn: Int64? = nil, version: Int64, node: String
    ) -> UserRecord {
        UserRecord(
            name: name, displayName: name.capitalized, role: role, passwordHash: hash, createdAt: 100,
            passwordChangedAt: 100, disabledAt: disabledAt, lastSignInAt: signedIn, versionMillis: version,
            versionNode: node)
    }

    @Test func theLaterVersionWinsWhicheverProcessPublishesLast() async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        let log = try await PostgresHubLog.open(
            PostgresURL(url), proposedNode: NodeID("hub")!, logger: TestPostgres.logger)
        defer { log.close() }
        let newer = Self.record("sam", hash: "h2", disabledAt: 500, version: 2_000, node: "hub-b")
        let older = Self.record("sam", hash: "h1", signedIn: 900, version: 1_000, node: "hub-a")
        try await log.publishUsers([newer])
        try await log.publishUsers([older, Self.record("ada", role: "admin", version: 5, node: "hub-a")])
        let shared = try await log.sharedUsers()
        #expect(shared.map(\.name) == ["ada", "sam"])
        var expected = newer
        expected.lastSignInAt = 900  // the later sign-in is kept from the losing record
        #expect(shared.last == expected)
        // A tie on time is broken by the node's name, the same on every process.
        try await log.publishUsers([Self.record("sam", hash: "h3", version: 2_000, node: "hub-c")])
        #expect(try await log.sharedUsers().last?.passwordHash == "h3")
        try await log.publishUsers([Self.record("sam", hash: "h4", version: 2_000, node: "hub-a")])
        #expect(try await log.sharedUsers().last?.passwordHash == "h3")
    }

    @Test func sessionsAreNewOnceExpireAndAreRemoved() async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        let log = try await PostgresHubLog.open(
            PostgresURL(url), proposedNode: NodeID("hub")!, logger: TestPostgres.logger)
        defer { log.close() }
        let now: Int64 = 1_800_000_000
        #expect(
            try await log.storeSession(
                key: "s.1", value: Data("a".utf8), expiresAt: now + 60, mustBeNew: true, now: now))
        #expect(
            try await !log.storeSession(
                key: "s.1", value: Data("b".utf8), expiresAt: now + 60, mustBeNew: true, now: now),
            "a key already in use is refused, not overwritten")
        #expect(try await log.sessionValue(key: "s.1", now: now)?.value == Data("a".utf8))
        // set without an expiry keeps the stored one.
        try await log.storeSession(key: "s.1", value: Data("c".utf8), expiresAt: nil, mustBeNew: false, now: now)
        let kept = try await log.sessionValue(key: "s.1", now: now)
        #expect(kept?.value == Data("c".utf8) && kept?.expiresAt == now + 60)
        #expect(try await log.sessionValue(key: "s.1", now: now + 60) == nil, "expired")
        // A new session sweeps the expired ones; the key is free again.
        #expect(
            try await log.storeSession(
                key: "s.1", value: Data("d".utf8), expiresAt: now + 200, mustBeNew: true, now: now + 100))
        try await log.removeSession(key: "s.1")
        try await log.removeSession(key: "s.1")
        #expect(try await log.sessionValue(key: "s.1", now: now) == nil)
    }
}
