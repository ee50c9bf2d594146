import Foundation
import Hummingbird
import StockroomCore
import StockroomStore
import Testing

/// Orders, transfers, purchase orders, holds and allowances through the real router: each
/// bad input of issue #12 gets its error and changes nothing; retries answer the original.
@Suite struct DocumentRoutesTests {
    static func stock(_ client: TestNode.Client, _ sku: String, location: String? = nil) async throws -> [String: Any] {
        try await client.send(.get, "/v1/stock/\(sku)" + (location.map { "?location=\($0)" } ?? "")).json
    }

    /// Sends `body` and checks that it is refused with `status` and `code`, and that no op
    /// was written.
    static func refused(
        _ node: TestNode, _ client: TestNode.Client, _ method: HTTPRequest.Method, _ path: String, _ body: String,
        _ status: HTTPResponse.Status, _ code: String
    ) async throws {
        let before = try await node.store.statistics().ops
        let reply = try await client.send(method, path, as: .staff, body: body)
        #expect(reply.status == status && reply.errorCode == code, "\(path) \(body): \(reply.status) \(reply.text)")
        #expect(try await node.store.statistics().ops == before, "\(path) \(body) wrote an op")
    }

    @Test func anOrderCommitsUnitsAndItsEventsMoveThem() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"c","code":"A-1","qty":10,"reason":"count"}"#)
            let placed = try await client.send(
                .post, "/v1/orders", as: .staff,
                body: #"{"source":"web","external_id":"1001","lines":[{"sku":"A-1","qty":3}]}"#)
            #expect(placed.status == .created, "\(placed.text)")
            #expect(placed.json["status"] as? String == "open" && placed.json["id"] as? String == "web:1001")
            var stock = try await Self.stock(client, "A-1")
            #expect(
                stock["on_hand"] as? Int == 10 && stock["committed"] as? Int == 3 && stock["available"] as? Int == 7)
            #expect(stock["quantity"] as? Int == 10, "quantity keeps meaning on hand for clients of protocol 1")
            // A retried webhook or offline batch: the original answer, nothing written.
            let ops = try await node.store.statistics().ops
            let again = try await client.send(
                .post, "/v1/orders", as: .staff,
                body: #"{"source":"web","external_id":"1001","lines":[{"sku":"A-1","qty":3}]}"#)
            #expect(again.status == .ok && again.json["replayed"] as? Bool == true)
            #expect(try await node.store.statistics().ops == ops)
            // Fulfilled by a scan at the till against the order.
            let scanned = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body:
                    #"{"id":"t1","code":"4006381333931","qty":2,"reason":"sale","device":"till-1","ref":"order:web:1001"}"#
            )
            #expect(
                scanned.status == .created && scanned.json["status"] as? String == "partly_fulfilled", "\(scanned.text)"
            )
            stock = try await Self.stock(client, "A-1")
            #expect(stock["on_hand"] as? Int == 8 && stock["committed"] as? Int == 1 && stock["available"] as? Int == 7)
            let cancel = try await client.send(
                .post, "/v1/orders/web:1001/events", as: .staff, body: #"{"event_id":"c1","action":"cancel"}"#)
            #expect(cancel.json["status"] as? String == "cancelled")
            stock = try await Self.stock(client, "A-1")
            #expect(stock["committed"] as? Int == 0 && stock["available"] as? Int == 8)
            let events = try await client.send(.get, "/v1/orders/web:1001/events")
            #expect(
                (events.json["items"] as? [[String: Any]])?.map { $0["action"] as? String } == [
                    "place", "fulfil", "cancel",
                ])
            let list = try await client.send(.get, "/v1/orders?status=cancelled")
            #expect((list.json["items"] as? [Any])?.count == 1)
        }
    }

    @Test func badDocumentInputIsRefusedAndChangesNothing() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"c","code":"A-1","qty":20,"reason":"count"}"#)
            try await Self.refused(
                node, client, .post, "/v1/orders",
                #"{"source":"web","external_id":"9","lines":[{"sku":"NOPE","qty":1}]}"#,
                .unprocessableContent, "unknown_sku")
            _ = try await client.send(
                .post, "/v1/orders", as: .staff,
                body: #"{"source":"web","external_id":"1","lines":[{"sku":"A-1","qty":2}]}"#)
            try await Self.refused(
                node, client, .post, "/v1/orders/web:1/events",
                #"{"event_id":"f","action":"fulfil","lines":[{"sku":"A-1","qty":3}]}"#, .conflict, "over_fulfilment")
            try await Self.refused(
                node, client, .post, "/v1/orders/web:404/events", #"{"event_id":"f","action":"cancel"}"#, .notFound,
                "unknown_document")
            try await Self.refused(
                node, client, .post, "/v1/orders/web:1/events", #"{"event_id":"f","action":"ship"}"#,
                .unprocessableContent, "invalid_value")
            // A PO closed, then received against.
            try await Self.refused(
                node, client, .post, "/v1/purchase-orders",
                #"{"id":"PO-0","supplier":"nobody","lines":[{"sku":"A-1","qty":5}]}"#, .unprocessableContent,
                "unknown_supplier")
            let supplier = try await client.send(
                .post, "/v1/suppliers", as: .staff, body: #"{"id":"acme","name":"Acme Wholesale","lead_time_days":2}"#)
            #expect(supplier.status == .created, "\(supplier.text)")
            _ = try await client.send(
                .post, "/v1/purchase-orders", as: .staff,
                body: #"{"id":"PO-1","supplier":"acme","lines":[{"sku":"A-1","qty":5,"unit_cost":"1.20"}]}"#)
            _ = try await client.send(
                .post, "/v1/purchase-orders/PO-1/events", as: .staff, body: #"{"event_id":"s","action":"send"}"#)
            var stock = try await Self.stock(client, "A-1")
            #expect(stock["incoming"] as? Int == 5 && stock["projected"] as? Int == 23)
            let received = try await client.send(
                .post, "/v1/purchase-orders/PO-1/events", as: .staff,
                body: #"{"event_id":"r0","action":"receive","lines":[{"sku":"A-1","qty":2}]}"#)
            #expect(received.status == .created, "\(received.text)")
            stock = try await Self.stock(client, "A-1")
            #expect(
                stock["average_cost"] as? String == "1.20" && stock["stock_value"] as? String == "26.40", "\(stock)")
            _ = try await client.send(
                .post, "/v1/purchase-orders/PO-1/events", as: .staff, body: #"{"event_id":"x","action":"close"}"#)
            try await Self.refused(
                node, client, .post, "/v1/purchase-orders/PO-1/events",
                #"{"event_id":"r","action":"receive","lines":[{"sku":"A-1","qty":1}]}"#, .conflict, "document_closed")
            stock = try await Self.stock(client, "A-1")
            #expect(stock["incoming"] as? Int == 0)
            // A transfer shipped twice.
            _ = try await client.send(
                .post, "/v1/transfers", as: .staff,
                body: #"{"id":"T-1","to":"store-1/back","lines":[{"sku":"A-1","qty":4}]}"#)
            let shipped = try await client.send(
                .post, "/v1/transfers/T-1/events", as: .staff, body: #"{"event_id":"s1","action":"ship"}"#)
            #expect(shipped.status == .created, "\(shipped.text)")
            try await Self.refused(
                node, client, .post, "/v1/transfers/T-1/events", #"{"event_id":"s2","action":"ship"}"#, .conflict,
                "already_shipped")
            let back = try await Self.stock(client, "A-1", location: "store-1/back")
            #expect(back["in_transit"] as? Int == 4 && back["available"] as? Int == 0)
            #expect(try await Self.stock(client, "A-1")["on_hand"] as? Int == 18)
            // A hold that would already have lapsed.
            try await Self.refused(
                node, client, .post, "/v1/holds",
                #"{"id":"h1","sku":"A-1","qty":1,"expires_at":"2020-01-01T00:00:00Z"}"#,
                .unprocessableContent, "expiry_in_past")
            // The same event id for another action.
            try await Self.refused(
                node, client, .post, "/v1/transfers/T-1/events", #"{"event_id":"s1","action":"close"}"#, .conflict,
                "event_id_reused")
        }
    }

    @Test func aDamagedShortTransferReceiptIsADiscrepancyUntilResolved() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"c","code":"A-1","qty":10,"reason":"count"}"#)
            _ = try await client.send(
                .post, "/v1/transfers", as: .staff,
                body: #"{"id":"T-2","to":"store-1/back","lines":[{"sku":"A-1","qty":5}]}"#)
            _ = try await client.send(
                .post, "/v1/transfers/T-2/events", as: .staff, body: #"{"event_id":"s","action":"ship"}"#)
            let received = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body:
                    #"{"id":"r1","code":"A-1","qty":3,"reason":"receive","location":"store-1/back","ref":"transfer:T-2"}"#
            )
            #expect(received.json["status"] as? String == "partly_received", "\(received.text)")
            _ = try await client.send(
                .post, "/v1/transfers/T-2/events", as: .staff,
                body: #"{"event_id":"r2","action":"receive","lines":[{"sku":"A-1","qty":0,"damaged":1}]}"#)
            _ = try await client.send(
                .post, "/v1/transfers/T-2/events", as: .staff,
                body: #"{"event_id":"close","action":"close","note":"van empty"}"#)
            let back = try await Self.stock(client, "A-1", location: "store-1/back")
            #expect(back["on_hand"] as? Int == 4 && back["unavailable"] as? Int == 1 && back["available"] as? Int == 3)
            #expect(back["in_transit"] as? Int == 0)
            let conflicts = try await client.send(.get, "/v1/conflicts").json["items"] as? [[String: Any]] ?? []
            let discrepancy = conflicts.first { $0["kind"] as? String == "transfer_discrepancy" }
            #expect((discrepancy?["detail"] as? String)?.contains("1 short") == true, "\(conflicts)")
            let resolved = try await client.send(
                .post, "/v1/transfers/T-2/events", as: .staff,
                body: #"{"event_id":"ok","action":"resolve","note":"one unit lost; claim 77 filed with the carrier"}"#)
            #expect(resolved.status == .created, "\(resolved.text)")
            let open = try await client.send(.get, "/v1/conflicts").json["items"] as? [[String: Any]] ?? []
            #expect(!open.contains { $0["kind"] as? String == "transfer_discrepancy" })
        }
    }

    @Test func allowancesBoundWhatEachChannelMayPromise() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"c","code":"A-1","qty":10,"reason":"count"}"#)
            let granted = try await client.send(
                .post, "/v1/allowances", body: #"{"sku":"A-1","channel":"hub","qty":4,"action":"grant"}"#)
            let promise = granted.json["promise"] as? [[String: Any]] ?? []
            #expect(
                promise.first { $0["channel"] as? String == "store-1" }?["may_promise"] as? Int == 6, "\(granted.text)")
            #expect(promise.first { $0["channel"] as? String == "hub" }?["may_promise"] as? Int == 4)
            try await Self.refused(
                node, client, .post, "/v1/orders",
                #"{"source":"pos","external_id":"1","lines":[{"sku":"A-1","qty":7}]}"#,
                .conflict, "insufficient_allowance")
            let backorder = try await client.send(
                .post, "/v1/orders", as: .staff,
                body: #"{"source":"pos","external_id":"1","lines":[{"sku":"A-1","qty":7}],"backorder":true}"#)
            #expect(backorder.status == .created)
            let forbidden = try await client.send(
                .post, "/v1/allowances", as: .staff, body: #"{"sku":"A-1","channel":"hub","qty":1,"action":"grant"}"#)
            #expect(forbidden.status == .forbidden)
            let policy = try await client.send(
                .put, "/v1/allowance-policies",
                body: #"{"scope":"category:Drinks","channel":"hub","share_percent":50,"keep":2}"#)
            #expect(policy.status == .ok, "\(policy.text)")
            let policies = try await client.send(.get, "/v1/allowance-policies").json["items"] as? [[String: Any]]
            #expect(policies?.first?["scope"] as? String == "category:Drinks")
        }
    }
}
