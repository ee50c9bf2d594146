import Foundation
import Hummingbird
import StockroomServer
import StockroomStore
import Testing

@Suite struct AuthTests {
    @Test func onlyHealthIsOpen() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            #expect(try await client.send(.get, "/healthz", as: nil).status == .ok)
            for (method, path) in [
                (HTTPRequest.Method.get, "/metrics"), (.get, "/v1/stock/A-1"), (.post, "/v1/scans"), (.get, "/v1/ops"),
                (.get, "/v1/status"), (.post, "/v1/items"),
            ] {
                let reply = try await client.send(method, path, as: nil)
                #expect(reply.status == .unauthorized && reply.errorCode == "unauthorized", "\(path)")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
        }
    }

    @Test func wrongOrMalformedTokensAreRefused() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            for token in ["nope", "sr_aaaaaaaaaa_" + String(repeating: "a", count: 52), ""] {
                let reply = try await client.send(.get, "/v1/stock/A-1", as: nil, token: token)
                #expect(reply.status == .unauthorized)
            }
        }
    }

    @Test func rolesGetWhatTheTableSays() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let scan = #"{"id":"\#(UUID())","code":"A-1","qty":1,"reason":"receive"}"#
            let item = #"{"sku":"R-\#(UUID().uuidString.prefix(8))","name":"x"}"#
            for role in Role.allCases {
                let scanned = try await client.send(
                    .post, "/v1/scans", as: role,
                    body: scan.replacingOccurrences(of: "\"id\":\"", with: "\"id\":\"\(role)"))
                #expect(
                    (scanned.status.code < 300) == Permission.scan.isGranted(to: role), "\(role) scan \(scanned.status)"
                )
                let created = try await client.send(
                    .post, "/v1/items", as: role, body: item.replacingOccurrences(of: "R-", with: "R\(role)-"))
                #expect(
                    (created.status.code < 300) == Permission.catalogue.isGranted(to: role),
                    "\(role) item \(created.status)")
                let read = try await client.send(.get, "/v1/stock/A-1", as: role)
                #expect((read.status == .ok) == Permission.read.isGranted(to: role), "\(role) read")
                let metrics = try await client.send(.get, "/metrics", as: role)
                #expect((metrics.status == .ok) == Permission.metrics.isGranted(to: role), "\(role) metrics")
                if !Permission.scan.isGranted(to: role) {
                    #expect(scanned.status == .forbidden && scanned.errorCode == "forbidden")
                }
            }
        }
    }

    @Test func aRevokedTokenStopsWorkingWithinTheCacheTime() async throws {
        let node = try await TestNode.make()
        let (token, info) = try await node.store.createToken(role: .scanner)
        try await node.test { client in
            #expect(try await client.send(.get, "/v1/stock/A-1", as: nil, token: token).status == .ok)
            try await node.store.revokeToken(id: info.id)
            try await Task.sleep(for: .seconds(TokenAuthenticator.cacheSeconds + 0.2))
            #expect(try await client.send(.get, "/v1/stock/A-1", as: nil, token: token).status == .unauthorized)
        }
    }

    @Test func metricsExposeScansLatencyAndLogSize() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"m1","code":"A-1","qty":1,"reason":"receive"}"#)
            let text = try await client.send(.get, "/metrics", as: .staff).text
            #expect(text.contains("stockroom_scans_total 1"))
            #expect(text.contains("stockroom_scan_duration_seconds_bucket"))
            #expect(text.contains("stockroom_op_log_last_lsn 3"))
            let sqliteBytes = text.split(separator: "\n").first { $0.hasPrefix("stockroom_sqlite_memory_bytes ") }
                .flatMap { Double($0.split(separator: " ")[1]) }
            #expect((sqliteBytes ?? 0) > 0, "SQLite's heap is not exposed")
            let unknown = try await client.send(.get, "/v1/nothing-here", as: .admin)
            #expect(unknown.status == .notFound && unknown.errorCode == "not_found")
        }
    }
}
