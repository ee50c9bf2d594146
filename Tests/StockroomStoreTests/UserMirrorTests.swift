import Foundation
import StockroomCore
import StockroomStore
import Testing

/// Hub processes over one PostgreSQL database share their users, last writer wins per
/// user (``UserRecord``). Here two SQLite stores exchange `storedUsers` through
/// `mergeUsers`, as two processes do through the database.
@Suite struct UserMirrorTests {
    static func pair() throws -> (StockroomStore, StockroomStore) {
        (try TestStores.make(node: "hub-a"), try TestStores.make(node: "hub-b"))
    }

    /// Both ways, in either order: after it the two hold the same users.
    static func exchange(_ a: StockroomStore, _ b: StockroomStore, aFirst: Bool = true) async throws {
        let (fromA, fromB) = (try await a.storedUsers(), try await b.storedUsers())
        if aFirst {
            try await b.mergeUsers(fromA)
            try await a.mergeUsers(fromB)
        } else {
            try await a.mergeUsers(fromB)
            try await b.mergeUsers(fromA)
        }
    }

    @Test func aUserMadeOnOneProcessSignsInOnTheOtherAndADisableTravelsBack() async throws {
        let (a, b) = try Self.pair()
        _ = try await a.createUser(name: "ada", displayName: "Ada", role: .admin, passwordHash: "$2b$04$hash-1")
        _ = try await a.createUser(name: "sam", displayName: "Sam", role: .manager, passwordHash: "$2b$04$hash-2")
        try await Self.exchange(a, b)
        #expect(try await b.userCredentials(name: "sam")?.passwordHash == "$2b$04$hash-2")
        try await b.setUserDisabled("sam", true)
        try await b.recordSignIn(user: "ada")
        try await Self.exchange(a, b)
        #expect(try await a.user(named: "sam")?.isDisabled == true)
        #expect(try await a.user(named: "ada")?.lastSignInAt != nil, "the later sign-in is kept")
        #expect(try await a.storedUsers() == (try await b.storedUsers()))
        // Merging again changes nothing.
        #expect(try await a.mergeUsers(try await b.storedUsers()) == 0)
    }

    @Test func concurrentEditsOfOneUserEndTheSameEitherWay() async throws {
        for aFirst in [true, false] {
            let (a, b) = try Self.pair()
            _ = try await a.createUser(name: "sam", displayName: "Sam", role: .staff, passwordHash: "$2b$04$old")
            try await Self.exchange(a, b)
            // At once: a new password on A, a disable on B. One edit wins whole, on both.
            try await a.setPassword(user: "sam", passwordHash: "$2b$04$new")
            try await b.setUserDisabled("sam", true)
            try await Self.exchange(a, b, aFirst: aFirst)
            let (onA, onB) = (try await a.storedUsers(), try await b.storedUsers())
            #expect(onA == onB, "aFirst \(aFirst)")
            let sam = try #require(onA.first)
            #expect(sam.versionNode == "hub-b" ? sam.disabledAt != nil : sam.passwordHash == "$2b$04$new")
        }
    }

    @Test func anEditAlwaysOutranksTheVersionItReplaces() async throws {
        let (a, b) = try Self.pair()
        _ = try await a.createUser(name: "sam", displayName: "Sam", role: .staff, passwordHash: "$2b$04$old")
        // B's clock is far ahead: its copy carries a version from the future.
        var future = try #require(try await a.storedUsers().first)
        future.versionMillis += 86_400_000
        future.versionNode = "hub-b"
        try await b.mergeUsers([future])
        // An edit made on A after it has seen B's copy still wins, clock or no clock.
        try await a.mergeUsers([future])
        try await a.setUserRole("sam", .manager)
        try await Self.exchange(a, b)
        #expect(try await b.user(named: "sam")?.role == .manager)
    }

    @Test func aRecordWithARoleThisBinaryDoesNotKnowIsSkipped() async throws {
        let store = try TestStores.make(node: "hub-a")
        let record = UserRecord(
            name: "eve", displayName: "Eve", role: "root", passwordHash: "x", createdAt: 0, passwordChangedAt: 0,
            disabledAt: nil, lastSignInAt: nil, versionMillis: 1, versionNode: "hub-b")
        #expect(try await store.mergeUsers([record]) == 0)
        #expect(try await store.user(named: "eve") == nil)
    }
}
