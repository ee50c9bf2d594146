import Foundation
import StockroomTesting
import Testing

/// Finding 10 of issue #11: `stockroom import catalog` while the daemon ran made scans fail
/// with 503 `storage_unavailable` after 5-10 s stalls, though the README calls the import
/// safe while the daemon runs. Now the import is one transaction and the daemon's writes
/// wait for it (a busy database is not a full disk): every scan is answered 201.
@Suite struct ImportWhileScanningTests {
    @Test func scansAreAnsweredWhileTheCLIImportsTheCatalogue() async throws {
        let node = try NodeProcess()
        #expect(try node.run(["import", "catalog", try CrashRecoveryTests.catalogue(rows: 50)]).status == 0)
        try await node.start()
        let scanner = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["scanner"]!)
        let skus = try ScanLoad.skus(rows: 50)
        let stop = Locked(false)
        let statuses = Locked<[Int]>([])
        let longest = Locked<Double>(0)
        async let scanning: Void = withThrowingTaskGroup(of: Void.self) { group in
            for gun in 0..<4 {
                group.addTask {
                    var index = 0
                    while !stop.value {
                        index += 1
                        let started = Date()
                        // A long timeout: a scan may wait for the import's transaction.
                        let reply = try await scanner.send(
                            .POST, "/v1/scans",
                            json:
                                #"{"id":"g\#(gun)-\#(index)","code":"\#(skus[index % skus.count])","qty":1,"reason":"receive","device":"gun-\#(gun)"}"#,
                            timeout: .seconds(60))
                        statuses.withLock { $0.append(reply.status) }
                        let waited = Date().timeIntervalSince(started)
                        longest.withLock { $0 = max($0, waited) }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await Task.sleep(for: .milliseconds(300))
        // 3,000 items of the catalogue, from another process (the whole 10,000 take 1.8 s in a
        // release build; this keeps the suite's parallel load down).
        let first = try node.run(["import", "catalog", try CrashRecoveryTests.catalogue(rows: 3000)])
        try await Task.sleep(for: .milliseconds(300))
        stop.withLock { $0 = true }
        try await scanning
        #expect(first.status == 0, "\(first.output)")
        let answered = statuses.value
        #expect(!answered.isEmpty && answered.allSatisfy { $0 == 201 }, "refused: \(answered.filter { $0 != 201 })")
        print("import while scanning: \(answered.count) scans, the longest waited \(longest.value) s")
        node.kill(signal: SIGTERM)
        #expect(try await node.waitForExit() == 0)
    }
}
