import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import StockroomCore
import StockroomServer
import StockroomStore
import Testing

/// Shopify's webhooks, as Shopify sends them (fixtures/shopify, signed here with a test
/// secret): verified, deduplicated, mapped, applied whole or not at all, and recorded.
@Suite struct ShopifyWebhookTests {
    static let secret = "test-secret-0123456789abcdef"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/shopify")

    static func configuration() throws -> ShopifyConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shopify-\(UUID().uuidString).json")
            .path
        var mapping =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: fixtures.appendingPathComponent("mapping.example.json"))) as! [String: Any]
        mapping["secret"] = secret
        try JSONSerialization.data(withJSONObject: mapping).write(to: URL(fileURLWithPath: path))
        return try ShopifyConfiguration.load(path: path)
    }

    static func body(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func sign(_ body: [UInt8], secret: String = secret) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8))))
            .base64EncodedString()
    }

    static func deliver(
        _ client: TestNode.Client, topic: String, body: [UInt8], id: String = UUID().uuidString,
        signature: String? = nil
    ) async throws -> TestNode.Client.Reply {
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("X-Shopify-Topic")!] = topic
        headers[HTTPField.Name("X-Shopify-Webhook-Id")!] = id
        headers[HTTPField.Name("X-Shopify-Hmac-Sha256")!] = signature ?? sign(body)
        headers[HTTPField.Name("X-Shopify-Shop-Domain")!] = "example.myshopify.com"
        return try await client.send(.post, "/v1/integrations/shopify/webhooks", as: nil, bytes: body, headers: headers)
    }

    @Test func anOrdersLifeFromShopifyMovesStockOnce() async throws {
        let node = try await TestNode.make()
        for (id, sku) in [("c1", "A-1"), ("c2", "B-2")] {
            _ = try await node.store.recordScan(
                ScanCommand(scanID: id, code: sku, quantity: 10, action: .count), actor: "t")
        }
        try await node.test(shopify: try Self.configuration()) { client in
            let created = try await Self.deliver(
                client, topic: "orders/create", body: try Self.body("orders-create.json"), id: "wh-1")
            #expect(created.status == .ok && created.json["result"] as? String == "applied", "\(created.text)")
            var b = try await client.send(.get, "/v1/stock/B-2").json
            #expect(b["committed"] as? Int == 2 && b["available"] as? Int == 8, "\(b)")
            // Shopify retries the same delivery, and may send the same order under a new id.
            let ops = try await node.store.statistics().ops
            let again = try await Self.deliver(
                client, topic: "orders/create", body: try Self.body("orders-create.json"), id: "wh-1")
            #expect(again.json["result"] as? String == "duplicate")
            let twin = try await Self.deliver(
                client, topic: "orders/create", body: try Self.body("orders-create.json"), id: "wh-2")
            #expect(twin.json["result"] as? String == "duplicate")
            #expect(try await node.store.statistics().ops == ops)

            let fulfilled = try await Self.deliver(
                client, topic: "fulfillments/create", body: try Self.body("fulfillments-create.json"))
            #expect(fulfilled.json["result"] as? String == "applied", "\(fulfilled.text)")
            b = try await client.send(.get, "/v1/stock/B-2").json
            #expect(b["on_hand"] as? Int == 8 && b["committed"] as? Int == 0)
            let refunded = try await Self.deliver(
                client, topic: "refunds/create", body: try Self.body("refunds-create.json"))
            #expect(refunded.json["result"] as? String == "applied", "\(refunded.text)")
            b = try await client.send(.get, "/v1/stock/B-2").json
            #expect(b["on_hand"] as? Int == 9, "one black unit came back: \(b)")
            let a = try await client.send(.get, "/v1/stock/A-1").json
            #expect(a["committed"] as? Int == 0 && a["on_hand"] as? Int == 10, "the green unit was cancelled: \(a)")
            let order = try await client.send(.get, "/v1/orders/shopify:450789469").json
            #expect(order["status"] as? String == "fulfilled", "\(order)")
            let cancelled = try await Self.deliver(
                client, topic: "orders/cancelled", body: try Self.body("orders-cancelled.json"))
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            let deliveries =
                try await client.send(.get, "/v1/integrations/shopify/deliveries").json["items"] as? [[String: Any]]
            #expect((deliveries?.count ?? 0) >= 5)
        }
    }

    @Test func badDeliveriesAreRefusedRecordedAndChangeNothing() async throws {
        let node = try await TestNode.make()
        try await node.test(shopify: try Self.configuration()) { client in
            let before = try await node.store.statistics().ops
            let body = try Self.body("orders-create.json")
            let forged = try await Self.deliver(
                client, topic: "orders/create", body: body, id: "bad-sig",
                signature: Self.sign(body, secret: "another-secret-123456"))
            #expect(forged.status == .unauthorized && forged.errorCode == "bad_signature")
            let unsigned = try await Self.deliver(
                client, topic: "orders/create", body: body, id: "no-sig", signature: "")
            #expect(unsigned.status == .unauthorized)
            var order = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
            order["location_id"] = 999
            let unmappedLocation = try await Self.deliver(
                client, topic: "orders/create", body: Array(try JSONSerialization.data(withJSONObject: order)),
                id: "loc")
            #expect(
                unmappedLocation.status == .unprocessableContent && unmappedLocation.errorCode == "unmapped_location")
            order["location_id"] = NSNull()
            var lines = order["line_items"] as! [[String: Any]]
            lines[0]["sku"] = "NOT-IN-CATALOGUE"
            order["line_items"] = lines
            let unmappedSKU = try await Self.deliver(
                client, topic: "orders/create", body: Array(try JSONSerialization.data(withJSONObject: order)),
                id: "sku")
            #expect(
                unmappedSKU.status == .unprocessableContent && unmappedSKU.errorCode == "unknown_sku",
                "\(unmappedSKU.text)")
            let early = try await Self.deliver(
                client, topic: "fulfillments/create", body: try Self.body("fulfillments-create.json"))
            #expect(early.status == .notFound && early.errorCode == "unknown_document")
            #expect(try await node.store.statistics().ops == before, "a refused delivery wrote ops")
            let recorded = try await node.store.webhookDeliveries(limit: 10)
            #expect(Set(recorded.map(\.status)).isSuperset(of: [401, 422, 404]), "\(recorded)")
            // Fixed in the mapping, Shopify's retry of the same delivery goes through.
            let retried = try await Self.deliver(client, topic: "orders/create", body: body, id: "bad-sig")
            #expect(retried.status == .ok)
        }
    }

    @Test func withoutConfigurationTheRouteSaysSo() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let reply = try await Self.deliver(
                client, topic: "orders/create", body: try Self.body("orders-create.json"))
            #expect(reply.status == .notFound && reply.errorCode == "not_configured")
        }
    }
}
