import AsyncHTTPClient
import Foundation
import StockroomTesting
import Testing

struct Acknowledged: Sendable {
    var op: String
    var sku: String
    var change: Int
}

/// The real binary on a real port with a real data folder.
@Suite(.serialized) struct CrashRecoveryTests {
    /// A small catalogue cut from the fixture, so the test starts fast.
    static func catalogue(rows: Int) throws -> String {
        let text = try String(contentsOfFile: NodeProcess.fixtures + "/catalog-10k.csv", encoding: .utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).csv")
            .path
        try text.split(separator: "\n").prefix(rows + 1).joined(separator: "\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func firstStartMakesCredentialsAndPrintsAScanToPaste() async throws {
        let node = try NodeProcess()
        try await node.start()
        let attributes = try FileManager.default.attributesOfItem(atPath: node.dataDirectory + "/credentials.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let credentials = try node.credentials()
        #expect(credentials["admin"]?.hasPrefix("sr_") == true && credentials["scanner"]?.hasPrefix("sr_") == true)
        #expect(!node.log.contains(credentials["scanner"]!), "the banner must not print token secrets")
        #expect(node.log.contains("curl -s -X POST http://127.0.0.1:\(node.port)/v1/scans"))
        node.kill(signal: SIGTERM)
        #expect(try await node.waitForExit() == 0)
        // A second daemon on the same folder is refused with a clear message.
        try await node.start()
        let second = try node.run(["serve", "--listen", "127.0.0.1:0"])
        #expect(second.status != 0 && second.output.contains("already serving"))
        node.kill(signal: SIGTERM)
        _ = try await node.waitForExit()
    }

    /// Scans from many clients while the daemon is killed with SIGKILL (a crash) or
    /// stopped with SIGTERM (graceful: in-flight requests finish, exit status 0): after
    /// restart, every acknowledged scan is there exactly once and the state agrees with
    /// the log.
    @Test(arguments: [SIGKILL, SIGTERM])
    func everyAcknowledgedScanSurvivesAStop(signal: Int32) async throws {
        let seed = SeededGenerator.testSeed()
        let node = try NodeProcess()
        let imported = try node.run(["import", "catalog", try Self.catalogue(rows: 50)])
        #expect(imported.status == 0, "\(imported.output)")
        try await node.start()
        let http = HTTPClient.shared
        let token = try node.credentials()["scanner"]!
        let client = NodeClient(http: http, base: "http://127.0.0.1:\(node.port)", token: token)
        let skus = (1...50).map { index in
            try! String(contentsOfFile: NodeProcess.fixtures + "/catalog-10k.csv", encoding: .utf8)
                .split(separator: "\n")[index].split(separator: ",")[0]
        }.map(String.init)

        let acknowledged = Locked<[String: Acknowledged]>([:])
        let failures = Locked<[Int]>([])
        let stop = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for scanner in 0..<16 {
                group.addTask {
                    var random = SeededGenerator(seed: seed &+ UInt64(scanner))
                    var index = 0
                    while !stop.value {
                        index += 1
                        let id = "s\(scanner)-\(index)"
                        let sku = skus.randomElement(using: &random)!
                        let receive = Bool.random(using: &random)
                        let body =
                            #"{"id":"\#(id)","code":"\#(sku)","qty":\#(receive ? 3 : 1),"reason":"\#(receive ? "receive" : "sale")","device":"gun-\#(scanner)"}"#
                        guard let reply = try? await client.send(.POST, "/v1/scans", json: body) else { return }
                        if reply.status == 201, let op = reply.body["op"] as? String {
                            acknowledged.withLock { $0[id] = Acknowledged(op: op, sku: sku, change: receive ? 3 : -1) }
                        } else {
                            failures.withLock { $0.append(reply.status) }
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 600...1200)))
            node.kill(signal: signal)
            stop.withLock { $0 = true }
            try await group.waitForAll()
        }
        let status = try await node.waitForExit()
        if signal == SIGTERM {
            #expect(status == 0, "seed \(seed): a graceful stop exited with \(status)\n\(node.log)")
            #expect(
                failures.value.isEmpty, "seed \(seed): requests answered with \(failures.value) during a graceful stop")
        }
        let acked = acknowledged.value
        #expect(acked.count > 50, "seed \(seed): too few scans were acknowledged before the kill")

        try await node.start()
        let client2 = NodeClient(http: http, base: "http://127.0.0.1:\(node.port)", token: token)
        let admin = NodeClient(
            http: http, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["admin"]!)
        // Read the whole op log back.
        var ops: [String: [String: Any]] = [:]
        var cursor = 0
        while true {
            let page = try await admin.send(.GET, "/v1/ops?limit=1000&cursor=\(cursor)")
            let items = page.body["items"] as? [[String: Any]] ?? []
            for op in items { ops[op["id"] as! String] = op }
            guard let next = page.body["next_cursor"] as? String else { break }
            cursor = Int(next)!
        }
        for (id, scan) in acked {
            let op = ops[scan.op]
            #expect(op?["scan_id"] as? String == id, "seed \(seed): acknowledged scan \(id) (\(scan.op)) is missing")
        }
        let scanIDs = ops.values.compactMap { op -> String? in
            guard let id = op["scan_id"] as? String else { return nil }
            return "\(op["device"] ?? "")/\(id)"
        }
        #expect(Set(scanIDs).count == scanIDs.count, "seed \(seed): a scan was recorded twice")
        // The state agrees with the log: each SKU's quantity is the sum of its deltas.
        var expected: [String: Int] = [:]
        for op in ops.values where op["kind"] as? String == "delta" {
            expected[op["sku"] as! String, default: 0] += op["change"] as! Int
        }
        for sku in skus {
            let stock = try await client2.send(.GET, "/v1/stock/\(sku)")
            #expect(stock.body["quantity"] as? Int == expected[sku, default: 0], "seed \(seed): \(sku)")
        }
        // A retry of an acknowledged scan after the restart is recognised.
        if let (id, scan) = acked.first {
            let device = id.split(separator: "-")[0].dropFirst()
            let body =
                #"{"id":"\#(id)","code":"\#(scan.sku)","qty":\#(scan.change == 3 ? 3 : 1),"reason":"\#(scan.change == 3 ? "receive" : "sale")","device":"gun-\#(device)"}"#
            let retry = try await client2.send(.POST, "/v1/scans", json: body)
            #expect(retry.status == 200 && retry.body["op"] as? String == scan.op, "seed \(seed)")
        }
        node.kill(signal: SIGTERM)
        #expect(try await node.waitForExit() == 0)
    }

    @Test func aBadCommandLineIsAClearErrorAndANonZeroExit() throws {
        let node = try NodeProcess()
        let badListen = try node.run(["serve", "--listen", "nowhere"])
        #expect(badListen.status != 0 && badListen.output.contains("HOST:PORT"))
        let badRole = try node.run(["token", "create", "--role", "king"])
        #expect(badRole.status != 0)
        let missing = try node.run(["import", "catalog", "/nonexistent.csv"])
        #expect(missing.status != 0 && missing.output.contains("cannot read"))
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv").path
        try "sku,name,price\nA,x,abc\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let bad = try node.run(["import", "catalog", csv])
        #expect(bad.status != 0 && bad.output.contains("line 2"))
    }
}
