import Foundation
import HTTPTypes
import Hummingbird
import StockroomCore
import StockroomStore
import StockroomSync
import Testing

/// Issue #11's findings through the real router: each answer is the documented JSON error,
/// the node keeps serving, and nothing is written.
@Suite struct HostileRequestTests {
    static let version: HTTPFields = [HTTPField.Name("Stockroom-Sync-Version")!: "1"]
    static let peer = NodeID("store-9")!

    /// Finding 2: a pull with a cursor of 2^63 or more killed the node serving it.
    @Test func aPullCursorPastInt64MaxIsA400() async throws {
        let node = try await TestNode.make(role: "hub")
        try await node.test { client in
            for cursor in ["9223372036854775808", "18446744073709551615"] {
                let reply = try await client.send(
                    .post, "/v1/sync/pull", as: .peer,
                    body: #"{"protocol":1,"node":"store-9","epoch":"","cursor":\#(cursor)}"#, headers: Self.version)
                #expect(reply.status == .badRequest && reply.errorCode == "invalid_request", "\(reply.text)")
            }
            let alive = try await client.send(.get, "/v1/status")
            #expect(alive.status == .ok)
        }
    }

    /// Finding 7: pushed ops skipped every input rule. Now a 422 naming the op and its
    /// rule; the refusal shows in /v1/sync/status and in a metric.
    @Test func anInvalidPushIsRefusedWholeAndShowsInStatusAndMetrics() async throws {
        let node = try await TestNode.make(role: "hub")
        let now = StockroomStore.systemWallMillis()
        let ops = [
            Op(
                id: OpID(origin: Self.peer, seq: 1), hlc: HLC(millis: now), actor: "till",
                payload: .delta(StockKey(sku: "A-1", location: "store-9"), quantity: -1, reason: .sale)),
            Op(
                id: OpID(origin: Self.peer, seq: 2), hlc: HLC(millis: now), actor: "till",
                payload: .itemUpdate(sku: "A-1", fields: FieldAssignments([.price: .text("free")]))),
        ]
        try await node.test { client in
            let reply = try await client.send(
                .post, "/v1/sync/push", as: .peer, bytes: WireCompression.wire(SyncBatch(node: Self.peer, ops: ops)),
                headers: Self.version)
            #expect(reply.status == .unprocessableContent && reply.errorCode == "invalid_op", "\(reply.text)")
            #expect((reply.json["error"] as? [String: Any])?["index"] as? Int == 1)
            #expect(reply.errorMessage?.contains("rule 'field'") == true)
            let status = try await client.send(.get, "/v1/sync/status")
            let known = (status.json["known_peers"] as? [[String: Any]])?.first { $0["node"] as? String == "store-9" }
            #expect((known?["last_error"] as? String)?.contains("rule 'field'") == true, "\(status.text)")
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.text.contains(#"stockroom_sync_refused_batches_total{rule="field"} 1"#), "\(metrics.text)")
        }
        #expect(node.store.writeContext.knowledge[Self.peer] == 0)
        #expect(try await node.store.item(code: "A-1").priceCents == nil)
    }

    /// Finding 11: a search over ~50,000 characters was a 500 for any scanner token.
    @Test func aHugeSearchIsA400() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let search = "/v1/items?q=" + String(repeating: "a", count: 60_000)
            let reply = try await client.send(.get, search, as: .scanner)
            #expect(reply.status == .badRequest && reply.errorCode == "invalid_request", "\(reply.text)")
        }
    }

    /// Finding 16: misleading messages.
    @Test func messagesSayWhatIsWrong() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let fraction = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"s1","code":"A-1","qty":1.5,"reason":"sale"}"#)
            #expect(fraction.status == .badRequest)
            #expect(fraction.errorMessage?.contains("whole number") == true, "\(fraction.text)")
            let spaced = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"s1","code":" A-1 ","qty":1,"reason":"sale"}"#)
            #expect(spaced.errorMessage?.contains("must not start or end with a space") == true, "\(spaced.text)")
            let array = try await client.send(.post, "/v1/scans", as: .scanner, body: "[1,2]")
            #expect(array.errorMessage == "the body must be a JSON object", "\(array.text)")
        }
    }

    /// Findings 24 and 25: bodies the API would misread are refused instead.
    @Test func bodiesThatWouldBeMisreadAreRefused() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let gzip = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"s1","code":"A-1","qty":1,"reason":"sale"}"#,
                headers: [.contentEncoding: "gzip"])
            #expect(gzip.status == .unsupportedMediaType && gzip.errorCode == "unsupported_content_encoding")
            let twice = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"s1","code":"A-1","qty":1,"qty":100,"reason":"sale"}"#)
            #expect(twice.status == .badRequest && twice.errorMessage?.contains("'qty' appears twice") == true)
            let nullName = try await client.send(.patch, "/v1/items/A-1", body: #"{"name":null}"#)
            #expect(nullName.status == .unprocessableContent, "\(nullName.text)")
            let both = try await client.send(.patch, "/v1/items/A-1", body: #"{"price":"1.00","price_cents":250}"#)
            #expect(both.status == .unprocessableContent && both.errorMessage?.contains("not both") == true)
            let newline = try await client.send(.patch, "/v1/items/A-1", body: #"{"name":"two\nlines"}"#)
            #expect(newline.status == .unprocessableContent, "\(newline.text)")
        }
        #expect(try await node.store.item(code: "A-1").name == "Apple juice")
        #expect(try await node.store.statistics().ops == 2, "only the two creates of TestNode")
    }

    /// Finding 12 through the API: a scanner on the store's LAN writing at another store.
    @Test func aScanAtAnotherStoresLocationIs403() async throws {
        let node = try await TestNode.make()
        try await node.store.restrictLocalWrites(to: .own(node.store.nodeID))
        try await node.test { client in
            let reply = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body: #"{"id":"s1","code":"A-1","qty":1,"reason":"sale","location":"store-2"}"#)
            #expect(reply.status == .forbidden && reply.errorCode == "location_not_permitted", "\(reply.text)")
        }
    }
}
