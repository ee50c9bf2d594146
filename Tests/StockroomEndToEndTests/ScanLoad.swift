import AsyncHTTPClient
import Foundation
import StockroomTesting
import Testing

/// Concurrent scanners against a real node, and the checks that follow a crash: which
/// acknowledged scans are there, exactly once, and whether the state agrees with the log.
struct ScanLoad {
    let skus: [String]
    let seed: UInt64
    /// Distinguishes the scan ids of successive rounds against the same node.
    let round: Int

    /// Posts scans from `scanners` clients until `stop` is set or the node stops answering;
    /// returns the acknowledged ones by scan id, and the statuses of the refused ones.
    func run(
        _ client: NodeClient, scanners: Int = 16, stop: Locked<Bool>
    ) async throws -> (acknowledged: [String: Acknowledged], refused: [Int]) {
        let acknowledged = Locked<[String: Acknowledged]>([:])
        let refused = Locked<[Int]>([])
        await withTaskGroup(of: Void.self) { group in
            for scanner in 0..<scanners {
                group.addTask {
                    var random = SeededGenerator(seed: seed &+ UInt64(round * 1000 + scanner))
                    var index = 0
                    while !stop.value {
                        index += 1
                        let id = "r\(round)s\(scanner)-\(index)"
                        let sku = skus.randomElement(using: &random)!
                        let receive = Bool.random(using: &random)
                        let body =
                            #"{"id":"\#(id)","code":"\#(sku)","qty":\#(receive ? 3 : 1),"reason":"\#(receive ? "receive" : "sale")","device":"gun-\#(scanner)"}"#
                        // A short timeout: after a kill, the client retries a refused connection
                        // until its deadline.
                        guard let reply = try? await client.send(.POST, "/v1/scans", json: body, timeout: .seconds(2))
                        else { return }
                        if reply.status == 201, let op = reply.body["op"] as? String {
                            acknowledged.withLock { $0[id] = Acknowledged(op: op, sku: sku, change: receive ? 3 : -1) }
                        } else {
                            refused.withLock { $0.append(reply.status) }
                        }
                    }
                }
            }
        }
        return (acknowledged.value, refused.value)
    }

    /// Reads a running node's whole op log and checks it against `acknowledged`: returns
    /// the acknowledged scan ids that are missing. Records an issue for a scan recorded
    /// twice, or for a stock level that is not the sum of the log's deltas.
    static func audit(
        _ admin: NodeClient, acknowledged: [String: Acknowledged], skus: [String], seed: UInt64
    ) async throws -> [String] {
        var ops: [String: [String: Any]] = [:]
        var cursor = 0
        while true {
            let page = try await admin.send(.GET, "/v1/ops?limit=1000&cursor=\(cursor)")
            let items = page.body["items"] as? [[String: Any]] ?? []
            for op in items { ops[op["id"] as! String] = op }
            guard let next = page.body["next_cursor"] as? String else { break }
            cursor = Int(next)!
        }
        let missing = acknowledged.filter { id, scan in ops[scan.op]?["scan_id"] as? String != id }.map(\.key)
        let scanIDs = ops.values.compactMap { op -> String? in
            guard let id = op["scan_id"] as? String else { return nil }
            return "\(op["device"] ?? "")/\(id)"
        }
        #expect(Set(scanIDs).count == scanIDs.count, "seed \(seed): a scan was recorded twice")
        var expected: [String: Int] = [:]
        for op in ops.values where op["kind"] as? String == "delta" {
            expected[op["sku"] as! String, default: 0] += op["change"] as! Int
        }
        for sku in skus {
            let stock = try await admin.send(.GET, "/v1/stock/\(sku)")
            #expect(
                stock.body["quantity"] as? Int == expected[sku, default: 0],
                "seed \(seed): \(sku)'s stock is not the sum of its ops")
        }
        return missing
    }

    /// The first `rows` SKUs of the fixture catalogue.
    static func skus(rows: Int) throws -> [String] {
        try String(contentsOfFile: NodeProcess.fixtures + "/catalog-10k.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().prefix(rows).map { String($0.split(separator: ",")[0]) }
    }
}
