import Foundation
import Hummingbird
import StockroomStore
import Testing

@Suite struct ItemRoutesTests {
    @Test func catalogueLifecycle() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let created = try await client.send(
                .post, "/v1/items", as: .staff,
                body:
                    #"{"sku":"C-3","name":"Cheddar","price":"4.50","barcodes":["036000291452"],"threshold":2,"category":"Dairy"}"#
            )
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["price"] as? String == "4.50" && created.json["price_cents"] as? Int == 450)
            let duplicate = try await client.send(
                .post, "/v1/items", as: .staff, body: #"{"sku":"C-3","name":"Again"}"#)
            #expect(duplicate.status == .conflict && duplicate.errorCode == "duplicate_sku")
            let stolen = try await client.send(
                .post, "/v1/items", as: .staff, body: #"{"sku":"D-4","name":"Thief","barcodes":["4006381333931"]}"#)
            #expect(stolen.status == .conflict && stolen.errorCode == "barcode_in_use")
            let badDigit = try await client.send(
                .post, "/v1/items", as: .staff, body: #"{"sku":"D-4","name":"x","barcodes":["4006381333932"]}"#)
            #expect(badDigit.status == .unprocessableContent && badDigit.errorCode == "invalid_value")
            let noName = try await client.send(.post, "/v1/items", as: .staff, body: #"{"sku":"D-4"}"#)
            #expect(noName.status == .unprocessableContent)
            let badPrice = try await client.send(
                .post, "/v1/items", as: .staff, body: #"{"sku":"D-4","name":"x","price":1.234}"#)
            #expect(badPrice.status == .unprocessableContent)

            let patched = try await client.send(
                .patch, "/v1/items/C-3", as: .staff, body: #"{"price":null,"name":"Mature cheddar"}"#)
            #expect(patched.status == .ok && patched.json["name"] as? String == "Mature cheddar")
            #expect(patched.json["price"] is NSNull && patched.json["price_cents"] is NSNull, "\(patched.text)")
            #expect(patched.json["threshold"] as? Int == 2, "a PATCH keeps the fields it does not name")
            let byBarcode = try await client.send(.get, "/v1/items/0036000291452", as: .scanner)
            #expect(byBarcode.json["sku"] as? String == "C-3")

            let deleted = try await client.send(.delete, "/v1/items/C-3", as: .staff)
            #expect(deleted.status == .noContent)
            #expect(try await client.send(.get, "/v1/items/C-3", as: .scanner).status == .notFound)
            let tombstone = try await client.send(.get, "/v1/items/C-3?include_deleted=true", as: .scanner)
            #expect(tombstone.json["deleted"] as? Bool == true)
            let scanDeleted = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"z","code":"036000291452","qty":1,"reason":"sale"}"#)
            #expect(scanDeleted.status == .notFound)
        }
    }

    @Test func listingFiltersAndPages() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            for index in 0..<5 {
                _ = try await client.send(
                    .post, "/v1/items", as: .staff,
                    body: #"{"sku":"Z-\#(index)","name":"Zed \#(index)","category":"Zeds","threshold":3}"#)
            }
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"1","code":"Z-0","qty":10,"reason":"receive"}"#)
            let below = try await client.send(.get, "/v1/stock?below_threshold=true&category=Zeds", as: .scanner)
            #expect(
                (below.json["items"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } == [
                    "Z-1", "Z-2", "Z-3", "Z-4",
                ])
            var cursor: String? = nil
            var seen: [String] = []
            repeat {
                let page = try await client.send(
                    .get, "/v1/stock?q=zed&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), as: .scanner)
                seen += (page.json["items"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } ?? []
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == ["Z-0", "Z-1", "Z-2", "Z-3", "Z-4"])
            let search = try await client.send(.get, "/v1/items?q=apple", as: .scanner)
            #expect((search.json["items"] as? [[String: Any]])?.count == 1)
            let percent = try await client.send(.get, "/v1/items?q=%25", as: .scanner)
            #expect((percent.json["items"] as? [[String: Any]])?.count == 0)
            let badLimit = try await client.send(.get, "/v1/stock?limit=0", as: .scanner)
            #expect(badLimit.status == .badRequest)
        }
    }

    @Test func importThroughTheAPI() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let good = try await client.send(
                .post, "/v1/import/catalog", as: .staff,
                body: "sku,name,price\nN-1,New,1.00\nA-1,Apple juice renamed,\n")
            #expect(
                good.status == .ok && good.json["created"] as? Int == 1 && good.json["updated"] as? Int == 1,
                "\(good.text)")
            let bad = try await client.send(
                .post, "/v1/import/catalog", as: .staff, body: "sku,name,price\nN-2,x,abc\n")
            #expect(bad.status == .unprocessableContent && bad.errorCode == "invalid_catalog")
            #expect(
                ((bad.json["error"] as? [String: Any])?["problems"] as? [String])?.first?.contains("line 2") == true)
        }
    }
}

@Suite struct AuditRoutesTests {
    @Test func historyAndOpLogShowWhoWhenWhatAndWhichDevice() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body: #"{"id":"s1","code":"A-1","qty":4,"reason":"receive","device":"gun-7"}"#)
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body: #"{"id":"s2","code":"A-1","qty":1,"reason":"damage","device":"gun-7"}"#)
            let history = try await client.send(.get, "/v1/items/A-1/history", as: .scanner)
            let ops = history.json["items"] as? [[String: Any]] ?? []
            #expect(ops.map { $0["kind"] as? String } == ["delta", "delta", "item_create"])
            #expect(ops[0]["reason"] as? String == "damage" && ops[0]["device"] as? String == "gun-7")
            #expect((ops[0]["actor"] as? String)?.contains("scanner") == true)
            #expect(ops[0]["quantity_after"] as? Int == 3)
            let log = try await client.send(.get, "/v1/ops?device=gun-7", as: .staff)
            #expect((log.json["items"] as? [[String: Any]])?.count == 2)
            #expect(try await client.send(.get, "/v1/ops", as: .scanner).status == .forbidden)
            let conflicts = try await client.send(.get, "/v1/conflicts", as: .scanner)
            #expect(conflicts.status == .ok)
        }
    }
}

/// Issue #15: a manager resolves a conflict over `/v1` with a reason; staff may not, a
/// blank reason or an unknown id is refused, and the list then shows who and why.
@Suite struct ConflictResolveRouteTests {
    @Test func aManagerResolvesAnOversellWithAReason() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            _ = try await client.send(
                .post, "/v1/scans", as: .scanner, body: #"{"id":"s1","code":"A-1","qty":2,"reason":"sale"}"#)
            let open = try await client.send(.get, "/v1/conflicts", as: .readonly)
            let oversell = try #require(
                (open.json["items"] as? [[String: Any]])?.first { $0["kind"] as? String == "oversell" })
            let id = try #require(oversell["id"] as? Int)
            let path = "/v1/conflicts/\(id)/resolve"
            #expect(try await client.send(.post, path, as: .staff, body: #"{"reason":"x"}"#).status == .forbidden)
            let blank = try await client.send(.post, path, as: .manager, body: #"{"reason":"  "}"#)
            #expect(blank.status == .unprocessableContent)
            #expect(
                try await client.send(.post, "/v1/conflicts/999999/resolve", as: .manager, body: #"{"reason":"x"}"#)
                    .status == .notFound)
            #expect(
                try await client.send(.post, "/v1/conflicts/abc/resolve", as: .manager, body: #"{"reason":"x"}"#).status
                    == .notFound)
            let resolved = try await client.send(
                .post, path, as: .manager, body: #"{"reason":"counted: 2 in the back room"}"#)
            #expect(resolved.status == .ok)
            #expect(resolved.json["resolution"] as? String == "counted: 2 in the back room")
            #expect((resolved.json["resolved_by"] as? String)?.contains("manager") == true)
            #expect(resolved.json["resolved_at"] is String)
            let after = try await client.send(.get, "/v1/conflicts", as: .readonly)
            #expect((after.json["items"] as? [[String: Any]])?.contains { $0["id"] as? Int == id } == false)
            let all = try await client.send(.get, "/v1/conflicts?all=true", as: .readonly)
            #expect((all.json["items"] as? [[String: Any]])?.contains { $0["id"] as? Int == id } == true)
        }
    }
}
