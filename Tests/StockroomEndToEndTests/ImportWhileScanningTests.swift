import Foundation
import StockroomTesting
import Testing

/// Finding 10 of issue #11: `stockroom import catalog` while the daemon ran made scans fail
/// with 503 `storage_unavailable` after 5-10 s stalls, though the README calls the import
/// safe while the daemon runs. Now the import is one transaction and the daemon's writes
/// wait for it (a busy database is not a full disk).
@Suite struct ImportWhileScanningTests {
    @Test func scansAreAnsweredWhileTheCLIImportsTheCatalogue() async throws {
        let node = try NodeProcess()
        #expect(try node.run(["import", "catalog", try CrashRecoveryTests.catalogue(rows: 50)]).status == 0)
        try await node.start()
        let scanner = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["scanner"]!)
        let load = ScanLoad(skus: try ScanLoad.skus(rows: 50), seed: SeededGenerator.testSeed(), round: 1)
        let stop = Locked(false)
        async let scanning = load.run(scanner, scanners: 8, stop: stop)
        // The whole 10,000-item catalogue, twice (a second run changes nothing), from another process.
        let first = try node.run(["import", "catalog", NodeProcess.fixtures + "/catalog-10k.csv"])
        let again = try node.run(["import", "catalog", NodeProcess.fixtures + "/catalog-10k.csv"])
        stop.withLock { $0 = true }
        let (acknowledged, refused) = try await scanning
        #expect(first.status == 0, "\(first.output)")
        #expect(again.status == 0 && again.output.contains("10000 unchanged"), "\(again.output)")
        #expect(refused.isEmpty, "scans refused during the import: \(refused.prefix(10))")
        #expect(acknowledged.count > 0)
        node.kill(signal: SIGTERM)
        #expect(try await node.waitForExit() == 0)
    }
}
