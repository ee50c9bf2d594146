import Foundation
import GRDB
import Testing

@testable import StockroomStore

@Suite struct StockroomStoreTokenTests {
    @Test func tokensAuthenticateUntilRevokedAndOnlyTheirHashIsStored() async throws {
        let directory = try TestStores.temporaryDirectory()
        let store = try TestStores.make(.pool, at: directory)
        let (token, info) = try await store.createToken(role: .scanner, label: "till 1")
        let principal = try await store.authenticate(token: token)
        #expect(principal?.role == .scanner && principal?.tokenID == info.id)
        let secret = String(token.split(separator: "_")[2])
        let bytes = try await store.read { db in try Data.fetchAll(db, sql: "SELECT secret_sha256 FROM tokens") }
        #expect(!bytes.contains(Data(secret.utf8)))
        let file = try Data(contentsOf: URL(fileURLWithPath: directory + "/stockroom.sqlite"))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/stockroom.sqlite-wal"))) ?? Data()
        #expect(file.range(of: Data(secret.utf8)) == nil && wal.range(of: Data(secret.utf8)) == nil)

        var tampered = Array(token)
        tampered[tampered.count - 1] = tampered.last == "a" ? "b" : "a"
        #expect(try await store.authenticate(token: String(tampered)) == nil)
        #expect(try await store.authenticate(token: "sr_x_y") == nil)

        try await store.revokeToken(id: info.id)
        #expect(try await store.authenticate(token: token) == nil)
        try await store.revokeToken(id: info.id)
        await #expect(throws: StoreError.unknownToken("nope")) { try await store.revokeToken(id: "nope") }
    }

    @Test func peerTokensAreBoundToANode() async throws {
        let store = try TestStores.make()
        let (token, _) = try await store.createToken(role: .peer, node: "store-042")
        #expect(try await store.authenticate(token: token)?.node == "store-042")
        await #expect(throws: StoreError.self) { try await store.createToken(role: .peer) }
        await #expect(throws: StoreError.self) { try await store.createToken(role: .staff, node: "x") }
    }
}
