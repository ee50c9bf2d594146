import Foundation
import StockroomTesting
import Testing

/// Stores whose wall clocks are wrong, made wrong for real with libfaketime (Debian's
/// `faketime`) preloaded into the real binary: the hub's clock is right.
@Suite(.serialized) struct ClockFaultTests {
    static let faketime = "/usr/bin/faketime"

    /// Runs a process with its wall clock moved by `offset` (e.g. "-3d", "+2h"). Through
    /// the `faketime` command: preloading libfaketime by hand loses the Swift runtime's
    /// view of argv.
    /// `env` first: the monotonic clock must stay real, or timers and the graceful stop
    /// go wrong.
    static func clock(_ offset: String) -> [String] {
        ["/usr/bin/env", "FAKETIME_DONT_FAKE_MONOTONIC=1", faketime, "-f", offset]
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: faketime), "needs Debian's faketime (make test-deps)"))
    func storesWithWrongClocksMergeAsTheSpecSays() async throws {
        let seed = SeededGenerator.testSeed()
        let full = try SyncEndToEndTests.Chain.make()
        let chain = SyncEndToEndTests.Chain(
            hub: full.hub, stores: full.stores + [try NodeProcess()], hubPort: full.hubPort, skus: full.skus)
        try await chain.startHub()
        let hubAdmin = try chain.client(chain.hub, role: "admin")
        let sku = chain.skus[0]
        // The hub renames an item first, in real time.
        #expect(try await hubAdmin.send(.PATCH, "/v1/items/\(sku)", json: #"{"name":"Hub's name"}"#).status == 200)

        // store-1 runs three days behind, store-2 two hours ahead (past max_drift, within
        // max_skew), store-3 three days ahead (past max_skew).
        try await chain.startStore(0, launcher: Self.clock("-3d"))
        try await chain.startStore(1, launcher: Self.clock("+2h"))
        // store-3 scans before it has ever reached the hub (its hub address answers
        // nothing yet), so its ops carry its own clock, three days ahead.
        let nowhere = try freePort()
        let imported = try chain.stores[2].run([
            "import", "catalog", try CrashRecoveryTests.catalogue(rows: 30), "--node", "store-3",
        ])
        #expect(imported.status == 0, "\(imported.output)")
        let token3 =
            try chain.hub.run(["token", "create", "--role", "peer", "--node", "store-3"]).output
            .split(separator: "\n").last.map(String.init) ?? ""
        try await chain.stores[2].start(
            extraArguments: ["--node", "store-3", "--hub", "http://127.0.0.1:\(nowhere)", "--hub-token", token3],
            launcher: Self.clock("+3d"))
        #expect(try await chain.scan(at: 2, batches: 2, seed: seed &+ 2, tag: "f") == 200)
        chain.stores[2].kill(signal: SIGKILL)
        _ = try await chain.stores[2].waitForExit()
        let behind = try chain.client(chain.stores[0], role: "admin")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if try await behind.send(.GET, "/v1/items/\(sku)").body["name"] as? String == "Hub's name" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        // store-1 saw the hub's rename, then renamed it again: causally later, so it wins
        // everywhere although its wall clock says three days earlier (rule C1 with HLC).
        #expect(try await behind.send(.PATCH, "/v1/items/\(sku)", json: #"{"name":"Store's name"}"#).status == 200)
        for index in 0..<2 {
            #expect(try await chain.scan(at: index, batches: 2, seed: seed &+ UInt64(index), tag: "c") == 200)
        }
        try await chain.stores[2].start(
            extraArguments: ["--node", "store-3", "--hub", chain.hubURL, "--hub-token", token3],
            launcher: Self.clock("+3d"))
        // All three converge with the hub.
        #expect(try await chain.waitForAgreement(timeout: 40, nudge: true), "seed \(seed)")
        let history =
            try await hubAdmin.send(.GET, "/v1/ops?sku=\(sku)&limit=1000").body["items"] as? [[String: Any]] ?? []
        let edits = history.filter { $0["kind"] as? String != "delta" }.map {
            "\($0["id"] ?? "") \($0["hlc"] ?? "") \($0["fields"] ?? "")"
        }
        let name = try await hubAdmin.send(.GET, "/v1/items/\(sku)").body["name"] as? String
        #expect(name == "Store's name", "seed \(seed): \(name ?? "none") after \(edits)")
        #expect(try await chain.hubCoverage()["store-3"] == 230, "seed \(seed): 30 imported items and 200 scans")
        // Rule T1: store-3's ops were applied as they are; the hub's clock did not follow
        // them past max_drift, and a clock_clamped conflict names them.
        let conflicts = try await hubAdmin.send(.GET, "/v1/conflicts?all=true").body["items"] as? [[String: Any]] ?? []
        #expect(
            conflicts.contains { $0["kind"] as? String == "clock_clamped" },
            "seed \(seed): no clock_clamped conflict at the hub: \(conflicts)")
        let hubEdit = try await hubAdmin.send(.PATCH, "/v1/items/\(chain.skus[1])", json: #"{"name":"After"}"#)
        let stamped = try await hubAdmin.send(.GET, "/v1/items/\(chain.skus[1])/history?limit=1").body
        let at = ((stamped["items"] as? [[String: Any]])?.first?["at"] as? String) ?? ""
        #expect(
            hubEdit.status == 200 && at.hasPrefix(String(ISO8601DateFormatter().string(from: Date()).prefix(10))),
            "\(at)")
        // Rule T2: store-2 (two hours ahead) stamps with the hub's time once it has synced.
        let storeTwo = try chain.client(chain.stores[1], role: "scanner")
        let late = try await storeTwo.send(
            .POST, "/v1/scans", json: #"{"id":"t2","code":"\#(sku)","qty":1,"reason":"sale"}"#)
        let stampedAt = ISO8601DateFormatter().date(
            from: (late.body["at"] as? String ?? "").replacingOccurrences(
                of: #"\.\d+"#, with: "", options: .regularExpression))
        #expect(
            abs((stampedAt ?? .distantPast).timeIntervalSinceNow) < 120,
            "seed \(seed): store-2 stamped \(late.body["at"] ?? "nothing"), not the hub's time")
        // SIGKILL: under libfaketime, libdispatch's wall-clock timers (timerfd) spin and a
        // graceful stop can take long; how a node stops is tested elsewhere.
        try await chain.stop(signal: SIGKILL)
    }
}
