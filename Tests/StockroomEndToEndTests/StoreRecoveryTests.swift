import Foundation
import StockroomTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue #16, sync-protocol section 15.1: a store whose disk died, or that was restored
/// from an old backup, gets back everything of its own that had reached the hub, and
/// numbers its next op after it. Before this, its first new scans reused seqs the hub
/// already held, were taken for duplicates, and were lost at the hub.
@Suite(.serialized) struct StoreRecoveryTests {
    typealias Chain = SyncEndToEndTests.Chain

    /// Waits until the hub holds `count` ops of store-1.
    static func waitForHub(_ chain: Chain, count: Int) async throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        var held = 0
        while Date() < deadline {
            held = try await chain.hubCoverage()["store-1"] ?? 0
            if held >= count { return held }
            _ = try? await chain.client(chain.stores[0], role: "admin").send(.POST, "/v1/sync")
            try await Task.sleep(for: .milliseconds(200))
        }
        return held
    }

    static func wipe(_ folder: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            try FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    /// No op of store-1 held twice under one id with two contents (the symptom of a reused
    /// seq) and every acknowledged scan at the hub, once.
    static func expectExactlyOnce(_ chain: Chain, count: Int, seed: UInt64, _ step: String) async throws {
        #expect(try await waitForHub(chain, count: count) == count, "seed \(seed), \(step): hub coverage")
        #expect(try await chain.opsAtHub(origin: "store-1") == count, "seed \(seed), \(step): ops at the hub")
        let conflicts =
            try await chain.client(chain.hub, role: "admin").send(.GET, "/v1/conflicts?all=true").body["items"]
            as? [[String: Any]] ?? []
        #expect(
            !conflicts.contains { $0["kind"] as? String == "op_mismatch" },
            "seed \(seed), \(step): a seq was reused: \(conflicts)")
        #expect(try await chain.waitForAgreement(nudge: true), "seed \(seed), \(step): store and hub disagree")
    }

    @Test func aWipedOrRestoredStoreTakesItsHistoryBackAndLosesNothing() async throws {
        let seed = SeededGenerator.testSeed()
        let two = try Chain.make()
        let chain = Chain(hub: two.hub, stores: [two.stores[0]], hubPort: two.hubPort, skus: two.skus)
        // History horizon 0 days: a snapshot leaves out every delta a count covers (K1).
        let hubArguments = ["--role", "hub", "--snapshot-history-days", "0"]
        try await chain.hub.start(extraArguments: hubArguments, listen: "127.0.0.1:\(chain.hubPort)")
        try await chain.startStore(0)
        #expect(try await chain.waitForAgreement(), "seed \(seed): the store never got the catalogue")
        #expect(try await chain.scan(at: 0, batches: 3, seed: seed, tag: "a") == 300)
        #expect(try await Self.waitForHub(chain, count: 300) == 300)
        let backups = FileManager.default.temporaryDirectory.appendingPathComponent("recovery-\(UUID())").path
        let backup = try chain.stores[0].run(["backup", "--to", backups])
        #expect(backup.status == 0, "\(backup.output)")
        #expect(try await chain.scan(at: 0, batches: 2, seed: seed &+ 1, tag: "b") == 200)
        // A shelf count of every item: each covers every scan before it.
        let counter = try chain.client(chain.stores[0], role: "scanner")
        for (index, sku) in chain.skus.enumerated() {
            let counted = try await counter.send(
                .POST, "/v1/scans", json: #"{"id":"count-\#(index)","code":"\#(sku)","qty":\#(index),"reason":"count"}"#
            )
            #expect(counted.status == 201, "\(counted)")
        }
        let held = 500 + chain.skus.count
        #expect(try await Self.waitForHub(chain, count: held) == held)

        // 1. The disk dies: the same node starts on an empty folder.
        chain.stores[0].kill(signal: SIGKILL)
        _ = try await chain.stores[0].waitForExit()
        try Self.wipe(chain.stores[0].dataDirectory)
        try await chain.startStore(0)
        #expect(
            chain.stores[0].log.contains("recovered this node's history from its hub"),
            "seed \(seed): \(chain.stores[0].log.suffix(2000))")
        // The snapshot: the catalogue and the counts, not the 500 scans the counts cover.
        #expect(
            chain.stores[0].log.contains("sync.history_left_at_hub=500"),
            "seed \(seed): \(chain.stores[0].log.suffix(1500))")
        let status = try await chain.client(chain.stores[0], role: "admin").send(.GET, "/v1/status").body
        #expect(status["ops"] as? Int == 2 * chain.skus.count, "seed \(seed): the wiped store holds \(status)")
        #expect(try await chain.scan(at: 0, batches: 1, seed: seed &+ 2, tag: "c") == 100)
        try await Self.expectExactlyOnce(chain, count: held + 100, seed: seed, "after the wipe")

        // 2. Restored from the backup taken at 300: 300 of its ops are only at the hub.
        chain.stores[0].kill(signal: SIGKILL)
        _ = try await chain.stores[0].waitForExit()
        let taken = try FileManager.default.contentsOfDirectory(atPath: backups).filter { $0.hasPrefix("stockroom-") }
        let restored = try chain.stores[0].run(["restore", "--from", backups + "/" + taken[0], "--replace"])
        #expect(restored.status == 0 && restored.output.contains("takes back from its hub"), "\(restored.output)")
        try await chain.startStore(0)
        let one = try await chain.client(chain.stores[0], role: "scanner").send(
            .POST, "/v1/scans", json: #"{"id":"d-one","code":"\#(chain.skus[0])","qty":1,"reason":"sale"}"#)
        #expect(one.status == 201, "seed \(seed): \(one)")
        #expect(try await chain.scan(at: 0, batches: 1, seed: seed &+ 3, tag: "d") == 100)
        try await Self.expectExactlyOnce(chain, count: held + 201, seed: seed, "after the restore")

        // 3. Wiped again while the hub is down: reads are served, writes refused with a
        // reason, until the hub answers.
        chain.stores[0].kill(signal: SIGKILL)
        _ = try await chain.stores[0].waitForExit()
        try Self.wipe(chain.stores[0].dataDirectory)
        chain.hub.kill(signal: SIGTERM)
        _ = try await chain.hub.waitForExit()
        try await chain.startStore(0)  // the token comes from the hub's folder, not its daemon
        let scanner = try chain.client(chain.stores[0], role: "scanner")
        let refused = try await scanner.send(
            .POST, "/v1/scans", json: #"{"id":"f-one","code":"\#(chain.skus[0])","qty":1,"reason":"sale"}"#)
        #expect(refused.status == 503, "seed \(seed): \(refused)")
        #expect((refused.body["error"] as? [String: Any])?["code"] as? String == "recovering", "\(refused.body)")
        #expect(try await chain.client(chain.stores[0], role: "admin").send(.GET, "/healthz").status == 200)
        try await chain.hub.start(extraArguments: hubArguments, listen: "127.0.0.1:\(chain.hubPort)")
        let deadline = Date().addingTimeInterval(30)
        var accepted = 0
        while Date() < deadline, accepted == 0 {
            try await Task.sleep(for: .milliseconds(300))
            accepted = try await chain.scan(at: 0, batches: 1, seed: seed &+ 4, tag: "e")
        }
        #expect(accepted == 100, "seed \(seed): writes never reopened")
        try await Self.expectExactlyOnce(chain, count: held + 301, seed: seed, "after the wipe with the hub down")
        try chain.expectConsistent(seed: seed)
        try await chain.stop()
    }

    /// Rule K2: a running store deletes the scans its counts cover once the hub holds
    /// them, keeps agreeing with the hub, passes `stockroom check`, and numbers its next
    /// ops after the deleted ones across a restart.
    @Test func aStoreCompactsItsLogAndStillAgrees() async throws {
        let seed = SeededGenerator.testSeed()
        let two = try Chain.make()
        let chain = Chain(hub: two.hub, stores: [two.stores[0]], hubPort: two.hubPort, skus: two.skus)
        try await chain.startHub()
        try await chain.startStore(0)
        #expect(try await chain.waitForAgreement(), "seed \(seed): the store never got the catalogue")
        let store = chain.stores[0]
        let before = try store.run(["compact", "--history-days", "0", "--delay-days", "0"])
        #expect(before.status == 0, "\(before.output)")
        #expect(try await chain.scan(at: 0, batches: 4, seed: seed, tag: "a") == 400)
        let counter = try chain.client(store, role: "scanner")
        for (index, sku) in chain.skus.enumerated() {
            let counted = try await counter.send(
                .POST, "/v1/scans", json: #"{"id":"count-\#(index)","code":"\#(sku)","qty":7,"reason":"count"}"#)
            #expect(counted.status == 201, "\(counted)")
        }
        #expect(try await chain.scan(at: 0, batches: 1, seed: seed &+ 1, tag: "b") == 100)
        let held = 500 + chain.skus.count
        #expect(try await Self.waitForHub(chain, count: held) == held)
        // One more round: its pull reaches the end of a log that holds every scan.
        _ = try await chain.client(store, role: "admin").send(.POST, "/v1/sync")
        let compacted = try store.run(["compact", "--history-days", "0", "--delay-days", "0"])
        #expect(compacted.status == 0, "\(compacted.output)")
        #expect(compacted.output.contains("scans deleted:   400"), "seed \(seed): \(compacted.output)")
        let refusal = try chain.hub.run(["compact"])
        #expect(refusal.status != 0 && refusal.output.contains("this is a hub"), "\(refusal.output)")
        #expect(try await chain.waitForAgreement(nudge: true), "seed \(seed): store and hub disagree after compaction")
        store.kill(signal: SIGKILL)
        _ = try await store.waitForExit()
        try await chain.startStore(0)
        #expect(try await chain.scan(at: 0, batches: 1, seed: seed &+ 2, tag: "c") == 100)
        try await Self.expectExactlyOnce(chain, count: held + 100, seed: seed, "after compaction and a restart")
        try chain.expectConsistent(seed: seed)
        try await chain.stop()
    }
}
