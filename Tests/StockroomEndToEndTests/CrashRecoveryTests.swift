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
    /// stopped with SIGTERM (graceful: in-flight requests finish, exit status 0), several
    /// times over on the same data: after each restart, every scan acknowledged so far is
    /// there exactly once and the state agrees with the log.
    @Test(arguments: [SIGKILL, SIGTERM])
    func everyAcknowledgedScanSurvivesAStop(signal: Int32) async throws {
        let seed = SeededGenerator.testSeed()
        var random = SeededGenerator(seed: seed)
        let node = try NodeProcess()
        let imported = try node.run(["import", "catalog", try Self.catalogue(rows: 50)])
        #expect(imported.status == 0, "\(imported.output)")
        let skus = try ScanLoad.skus(rows: 50)
        var acknowledged: [String: Acknowledged] = [:]
        for round in 0..<(signal == SIGKILL ? 5 : 2) {
            try await node.start()
            let token = try node.credentials()["scanner"]!
            let client = NodeClient(http: .shared, base: "http://127.0.0.1:\(node.port)", token: token)
            let stop = Locked(false)
            let watcher = NodeClient(
                http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["admin"]!)
            let opsBefore = try await watcher.send(.GET, "/v1/status").body["ops"] as? Int ?? 0
            let load = Task { try await ScanLoad(skus: skus, seed: seed, round: round).run(client, stop: stop) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...900, using: &random)))
            // On a loaded machine (the suite runs in parallel) the scanners may be slow to
            // start: kill only once enough scans are in, or after 10 s.
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline,
                (try? await watcher.send(.GET, "/v1/status").body["ops"] as? Int).flatMap({ $0 }) ?? 0 < opsBefore + 30
            {
                try await Task.sleep(for: .milliseconds(50))
            }
            node.kill(signal: signal)
            stop.withLock { $0 = true }
            let (acked, refused) = try await load.value
            let status = try await node.waitForExit()
            if signal == SIGTERM {
                #expect(status == 0, "seed \(seed): a graceful stop exited with \(status)\n\(node.log)")
                #expect(refused.isEmpty, "seed \(seed): requests answered with \(refused) during a graceful stop")
            }
            #expect(acked.count > 20, "seed \(seed) round \(round): too few scans were acknowledged before the stop")
            acknowledged.merge(acked) { $1 }

            try await node.start()
            let admin = NodeClient(
                http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["admin"]!)
            let missing = try await ScanLoad.audit(admin, acknowledged: acknowledged, skus: skus, seed: seed)
            #expect(missing.isEmpty, "seed \(seed) round \(round): acknowledged scans missing: \(missing.prefix(5))")
            // A retry of an acknowledged scan after the restart is recognised.
            if let (id, scan) = acked.first {
                let device = id.split(separator: "s")[1].split(separator: "-")[0]
                let body =
                    #"{"id":"\#(id)","code":"\#(scan.sku)","qty":\#(scan.change == 3 ? 3 : 1),"reason":"\#(scan.change == 3 ? "receive" : "sale")","device":"gun-\#(device)"}"#
                let retry = try await NodeClient(http: .shared, base: admin.base, token: token).send(
                    .POST, "/v1/scans", json: body)
                #expect(retry.status == 200 && retry.body["op"] as? String == scan.op, "seed \(seed)")
            }
            node.kill(signal: SIGTERM)
            #expect(try await node.waitForExit() == 0)
            // The op log and the materialised state agree (integrity check, log replayed
            // with the merge rules, compared with stock and catalogue).
            let check = try node.run(["check"])
            #expect(check.status == 0, "seed \(seed) round \(round): stockroom check failed\n\(check.output)")
        }
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
