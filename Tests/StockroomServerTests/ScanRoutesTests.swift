import Foundation
import Hummingbird
import StockroomStore
import Testing

@Suite struct ScanRoutesTests {
    @Test func aScanAnswersWithTheNewQuantityAndARetryReplaysIt() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let body = #"{"id":"s1","code":"4006381333931","qty":12,"reason":"receive","device":"gun-1"}"#
            let first = try await client.send(.post, "/v1/scans", as: .scanner, body: body)
            #expect(first.status == .created)
            #expect(first.json["sku"] as? String == "A-1")
            #expect(first.json["quantity"] as? Int == 12)
            #expect(first.json["location"] as? String == "store-1")
            #expect((first.json["op"] as? String)?.hasPrefix("store-1:") == true)
            let retry = try await client.send(.post, "/v1/scans", as: .scanner, body: body)
            #expect(retry.status == .ok)
            #expect(
                retry.json["replayed"] as? Bool == true && retry.json["op"] as? String == first.json["op"] as? String)
            let sale = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":7,"code":"A-1","qty":2,"reason":"sale"}"#)
            #expect(sale.json["quantity"] as? Int == 10 && sale.json["change"] as? Int == -2)
            let count = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":8,"code":"A-1","qty":0,"reason":"count"}"#)
            #expect(count.json["quantity"] as? Int == 0 && count.json["counted"] as? Int == 0)
            let stock = try await client.send(.get, "/v1/stock/4006381333931", as: .scanner)
            #expect(stock.json["quantity"] as? Int == 0 && stock.json["below_threshold"] as? Bool == true)
        }
    }

    @Test func aBatchIsOneTransaction() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let good =
                #"{"scans":[{"id":"b1","code":"A-1","qty":5,"reason":"receive"},{"id":"b2","code":"B-2","qty":1,"reason":"return"}]}"#
            let reply = try await client.send(.post, "/v1/scans/batch", as: .scanner, body: good)
            #expect(reply.status == .created)
            #expect((reply.json["results"] as? [[String: Any]])?.map { $0["quantity"] as? Int } == [5, 1])
            let bad =
                #"{"scans":[{"id":"b3","code":"A-1","qty":5,"reason":"receive"},{"id":"b4","code":"NOPE","qty":1,"reason":"sale"}]}"#
            let refused = try await client.send(.post, "/v1/scans/batch", as: .scanner, body: bad)
            #expect(refused.status == .notFound && refused.errorCode == "unknown_code")
            #expect((refused.json["error"] as? [String: Any])?["index"] as? Int == 1)
            #expect(try await node.store.stock(code: "A-1").quantity == 5)
        }
    }

    /// Every kind of bad input gets a clear JSON error with the right status, and changes
    /// nothing.
    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let node = try await TestNode.make()
        let cases: [(String, String, HTTPResponse.Status, String)] = [
            ("unknown code", #"{"id":"x","code":"NOPE","qty":1,"reason":"sale"}"#, .notFound, "unknown_code"),
            (
                "bad check digit", #"{"id":"x","code":"4006381333932","qty":1,"reason":"sale"}"#, .unprocessableContent,
                "bad_check_digit"
            ),
            ("malformed JSON", #"{"id":"x","code":"#, .badRequest, "malformed_json"),
            ("not an object", #"[1,2]"#, .badRequest, "invalid_request"),
            ("wrong type", #"{"id":"x","code":"A-1","qty":"1","reason":"sale"}"#, .badRequest, "invalid_request"),
            ("fractional qty", #"{"id":"x","code":"A-1","qty":1.5,"reason":"sale"}"#, .badRequest, "invalid_request"),
            ("missing field", #"{"id":"x","qty":1,"reason":"sale"}"#, .badRequest, "invalid_request"),
            (
                "zero qty", #"{"id":"x","code":"A-1","qty":0,"reason":"sale"}"#, .unprocessableContent,
                "invalid_quantity"
            ),
            (
                "negative qty", #"{"id":"x","code":"A-1","qty":-3,"reason":"receive"}"#, .unprocessableContent,
                "invalid_quantity"
            ),
            (
                "absurd qty", #"{"id":"x","code":"A-1","qty":99999999999,"reason":"receive"}"#, .unprocessableContent,
                "invalid_quantity"
            ),
            (
                "zero adjust", #"{"id":"x","code":"A-1","qty":0,"reason":"adjust"}"#, .unprocessableContent,
                "invalid_quantity"
            ),
            (
                "unknown reason", #"{"id":"x","code":"A-1","qty":1,"reason":"theft"}"#, .unprocessableContent,
                "unknown_reason"
            ),
            ("empty id", #"{"id":"","code":"A-1","qty":1,"reason":"sale"}"#, .unprocessableContent, "invalid_value"),
            (
                "control chars", #"{"id":"x\u0000","code":"A-1","qty":1,"reason":"sale"}"#, .unprocessableContent,
                "invalid_value"
            ),
            (
                "oversized body",
                #"{"id":"x","code":"A-1","qty":1,"reason":"sale","device":""# + String(repeating: "d", count: 70_000)
                    + #""}"#, .contentTooLarge, "body_too_large"
            ),
        ]
        try await node.test { client in
            for (name, body, status, code) in cases {
                let reply = try await client.send(.post, "/v1/scans", as: .scanner, body: body)
                #expect(reply.status == status, "\(name): \(reply.text)")
                #expect(reply.errorCode == code, "\(name): \(reply.text)")
                #expect(!(reply.errorMessage ?? "").isEmpty, "\(name) has no message")
            }
            let emptyBatch = try await client.send(.post, "/v1/scans/batch", as: .scanner, body: #"{"scans":[]}"#)
            #expect(emptyBatch.status == .unprocessableContent && emptyBatch.errorCode == "invalid_batch")
        }
        #expect(try await node.store.statistics().ops == 2, "bad input wrote ops")
    }
}
