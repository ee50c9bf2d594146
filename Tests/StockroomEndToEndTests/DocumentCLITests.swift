import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

/// The operator's view: opening stock from a CSV, and orders, transfers, POs and holds
/// listed and shown by the real binary, while the daemon runs.
@Suite struct DocumentCLITests {
    @Test func openingStockAndDocumentsFromTheCommandLine() async throws {
        let node = try NodeProcess()
        let catalogue = node.dataDirectory + ".csv"
        let lines = try String(contentsOfFile: NodeProcess.fixtures + "/catalog-10k.csv", encoding: .utf8)
            .split(separator: "\n").prefix(21)
        try lines.joined(separator: "\n").write(toFile: catalogue, atomically: true, encoding: .utf8)
        #expect(try node.run(["import", "catalog", catalogue, "--node", "store-1"]).status == 0)
        let opening = node.dataDirectory + "-opening.csv"
        try "sku,quantity\nBEV-000001,12\nPRO-000002,30\n".write(toFile: opening, atomically: true, encoding: .utf8)
        let counted = try node.run(["import", "stock", opening])
        #expect(counted.status == 0 && counted.output.contains("counted 2 cells"), "\(counted.output)")
        #expect(try node.run(["import", "stock", opening]).output.contains("counted 0 cells"))
        let bad = node.dataDirectory + "-bad.csv"
        try "sku,quantity\nNO-SUCH,1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try node.run(["import", "stock", bad])
        #expect(refused.status != 0 && refused.output.contains("line 2"), "\(refused.output)")

        try await node.start(extraArguments: ["--node", "store-1"])
        defer { node.kill(signal: SIGTERM) }
        let client = NodeClient(
            http: HTTPClient.shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["admin"]!)
        #expect(
            try await client.send(
                .POST, "/v1/orders",
                json: #"{"source":"pos","external_id":"T3-88","lines":[{"sku":"BEV-000001","qty":2}]}"#
            ).status == 201)
        #expect(
            try await client.send(
                .POST, "/v1/transfers", json: #"{"id":"T-9","to":"store-2","lines":[{"sku":"PRO-000002","qty":5}]}"#
            ).status == 201)
        #expect(try await client.send(.POST, "/v1/suppliers", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
        #expect(
            try await client.send(
                .POST, "/v1/purchase-orders",
                json: #"{"id":"PO-7","supplier":"acme","lines":[{"sku":"BEV-000001","qty":24,"unit_cost":"0.80"}]}"#
            ).status == 201)
        let orders = try node.run(["orders"])
        #expect(
            orders.status == 0 && orders.output.contains("pos:T3-88") && orders.output.contains("open"),
            "\(orders.output)")
        let order = try node.run(["orders", "pos:T3-88"])
        #expect(order.output.contains("BEV-000001: 2") && order.output.contains("place"), "\(order.output)")
        #expect(try node.run(["transfers"]).output.contains("store-1 → store-2"))
        #expect(try node.run(["po", "PO-7"]).output.contains("unit cost 0.8"))
        let missing = try node.run(["orders", "nope"])
        #expect(missing.status != 0 && missing.output.contains("stockroom orders"), "\(missing.output)")
    }
}
