import AsyncHTTPClient
import Foundation
import StockroomTesting
import Testing

/// A hub and two stores as separate `stockroom` processes on loopback.
@Suite(.serialized) struct SyncEndToEndTests {
    struct Chain {
        let hub: NodeProcess
        let stores: [NodeProcess]
        let hubPort: Int
        let skus: [String]
        var hubURL: String { "http://127.0.0.1:\(hubPort)" }

        static func make() throws -> Chain {
            let hub = try NodeProcess()
            let catalogue = try CrashRecoveryTests.catalogue(rows: 30)
            let imported = try hub.run(["import", "catalog", catalogue, "--node", "hub"])
            guard imported.status == 0 else { throw Failure("import failed: \(imported.output)") }
            let skus = try String(contentsOfFile: catalogue, encoding: .utf8).split(separator: "\n").dropFirst()
                .map { String($0.split(separator: ",")[0]) }
            return Chain(hub: hub, stores: [try NodeProcess(), try NodeProcess()], hubPort: try freePort(), skus: skus)
        }

        func startHub() async throws {
            try await hub.start(extraArguments: ["--role", "hub"], listen: "127.0.0.1:\(hubPort)")
        }

        /// Starts store `index` as `store-<index+1>`, syncing with the hub (or with `via`, a
        /// proxy in front of it).
        func startStore(_ index: Int, via: String? = nil, launcher: [String] = []) async throws {
            let node = "store-\(index + 1)"
            let token =
                try hub.run(["token", "create", "--role", "peer", "--node", node]).output
                .split(separator: "\n").last.map(String.init) ?? ""
            try await stores[index].start(
                extraArguments: ["--node", node, "--hub", via ?? hubURL, "--hub-token", token],
                launcher: launcher)
        }

        /// How many ops of `origin` the hub's log holds, counted one by one.
        func opsAtHub(origin: String) async throws -> Int {
            let admin = try client(hub, role: "admin")
            var count = 0
            var cursor = 0
            while true {
                let page = try await admin.send(.GET, "/v1/ops?limit=1000&origin=\(origin)&cursor=\(cursor)")
                count += (page.body["items"] as? [[String: Any]])?.count ?? 0
                guard let next = page.body["next_cursor"] as? String else { return count }
                cursor = Int(next)!
            }
        }

        /// Stops every node of the chain with `signal` and waits for each to exit.
        func stop(signal: Int32 = SIGTERM) async throws {
            for node in [hub] + stores {
                node.kill(signal: signal)
                _ = try await node.waitForExit()
            }
        }

        /// `stockroom check` on every node (it runs beside the daemon): the file is sound
        /// and each node's state is what its op log gives.
        func expectConsistent(seed: UInt64) throws {
            for node in [hub] + stores {
                let check = try node.run(["check"])
                #expect(check.status == 0, "seed \(seed): stockroom check on \(node.dataDirectory):\n\(check.output)")
            }
        }

        /// The hub's coverage of each origin.
        func hubCoverage() async throws -> [String: Int] {
            let status = try await client(hub, role: "admin").send(.GET, "/v1/sync/status").body
            return (status["coverage"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) {
                $0[$1["origin"] as! String] = $1["seq"] as? Int
            }
        }

        func client(_ node: NodeProcess, role: String) throws -> NodeClient {
            NodeClient(http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()[role]!)
        }

        /// Every cell of a store's location, as the store and as the hub see it.
        func agreement(store index: Int) async throws -> (store: [String: Int], hub: [String: Int]) {
            let location = "store-\(index + 1)"
            let store = try client(stores[index], role: "admin")
            let hub = try client(hub, role: "admin")
            var mine: [String: Int] = [:]
            var theirs: [String: Int] = [:]
            for sku in skus {
                mine[sku] = try await store.send(.GET, "/v1/stock/\(sku)").body["quantity"] as? Int
                theirs[sku] = try await hub.send(.GET, "/v1/stock/\(sku)?location=\(location)").body["quantity"] as? Int
            }
            return (mine, theirs)
        }

        /// Polls until every store and the hub agree. With `nudge`, asks each store to sync
        /// now on every poll (skipping a backoff left from a fault).
        func waitForAgreement(timeout: TimeInterval = 30, nudge: Bool = false) async throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if nudge {
                    for store in stores { _ = try? await client(store, role: "admin").send(.POST, "/v1/sync") }
                }
                var agreed = true
                for index in stores.indices {
                    let view = try await agreement(store: index)
                    if view.store != view.hub { agreed = false }
                }
                if agreed { return true }
                try await Task.sleep(for: .milliseconds(300))
            }
            return false
        }

        /// Posts `count` batches of 100 scans at a store; returns how many were acknowledged.
        func scan(at index: Int, batches: Int, seed: UInt64, tag: String) async throws -> Int {
            var random = SeededGenerator(seed: seed)
            let client = try client(stores[index], role: "scanner")
            var acknowledged = 0
            for batch in 0..<batches {
                let scans = (0..<100).map { n in
                    let sku = skus.randomElement(using: &random)!
                    let receive = Int.random(in: 0..<3, using: &random) == 0
                    return
                        #"{"id":"\#(tag)-\#(batch)-\#(n)","code":"\#(sku)","qty":\#(receive ? 5 : 1),"reason":"\#(receive ? "receive" : "sale")"}"#
                }
                let reply = try await client.send(
                    .POST, "/v1/scans/batch", json: #"{"scans":[\#(scans.joined(separator: ","))]}"#)
                if reply.status == 201 { acknowledged += 100 }
            }
            return acknowledged
        }
    }

    /// Both stores scan while the hub is down; the hub comes back and all three agree.
    @Test func storesScanOfflineAndConvergeWhenTheHubReturns() async throws {
        let seed = SeededGenerator.testSeed()
        let chain = try Chain.make()
        try await chain.startHub()
        try await chain.startStore(0)
        try await chain.startStore(1)
        #expect(try await chain.waitForAgreement(), "seed \(seed): stores never got the catalogue")
        chain.hub.kill(signal: SIGTERM)
        _ = try await chain.hub.waitForExit()

        let first = try await chain.scan(at: 0, batches: 5, seed: seed, tag: "a")
        let second = try await chain.scan(at: 1, batches: 5, seed: seed &+ 1, tag: "b")
        #expect(first == 500 && second == 500, "seed \(seed): scanning stopped while the hub was down")

        try await chain.startHub()
        #expect(try await chain.waitForAgreement(), "seed \(seed): the chain did not converge after the hub returned")
        // Exactly once: the hub holds each store's ops, no more, no fewer.
        let hubStatus = try await chain.client(chain.hub, role: "admin").send(.GET, "/v1/sync/status").body
        let coverage = try await chain.hubCoverage()
        #expect(coverage["store-1"] == 500 && coverage["store-2"] == 500, "seed \(seed): hub coverage \(coverage)")
        // A converged store has nothing pending in either direction.
        let deadline = Date().addingTimeInterval(10)
        var peer: [String: Any] = [:]
        while Date() < deadline {
            let storeStatus = try await chain.client(chain.stores[0], role: "admin").send(.GET, "/v1/sync/status").body
            peer = (storeStatus["peers"] as? [[String: Any]])?.first ?? [:]
            if peer["pending_out"] as? Int == 0 && peer["pending_in"] as? Int == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(peer["pending_out"] as? Int == 0 && peer["pending_in"] as? Int == 0, "seed \(seed): \(peer)")
        #expect(((peer["last_round"] as? [String: Any])?["wire_bytes"] as? Int ?? 0) > 0)
        // The hub lists the stores that pushed to it; `stockroom status` shows a store's
        // last round from the database, daemon or not.
        let known = (hubStatus["known_peers"] as? [[String: Any]] ?? []).compactMap { $0["node"] as? String }
        #expect(known == ["store-1", "store-2"], "seed \(seed): hub knows \(known)")
        let cli = try chain.stores[0].run(["status"]).output
        #expect(
            cli.contains("peer hub (hub):") && cli.contains("on the wire") && cli.contains("pending out:   0 ops"),
            "\(cli)")
        try await chain.stop()
    }

    /// A store with a large backlog syncs while the store or the hub (at random) is killed
    /// with SIGKILL at a random moment, six times over: after the last restart everything
    /// converges, and the hub holds each of the store's ops exactly once.
    @Test func killedAgainAndAgainMidSyncNothingIsLostOrDoubled() async throws {
        let seed = SeededGenerator.testSeed()
        var random = SeededGenerator(seed: seed)
        let chain = try Chain.make()
        try await chain.startHub()
        try await chain.startStore(0)
        try await chain.startStore(1)
        #expect(try await chain.waitForAgreement(), "seed \(seed)")
        chain.hub.kill(signal: SIGTERM)
        _ = try await chain.hub.waitForExit()
        let backlog = try await chain.scan(at: 0, batches: 60, seed: seed, tag: "k")
        #expect(backlog == 6000)
        try await chain.startHub()

        var kills: [String] = []
        for round in 0..<6 {
            // Start a sync now (not after the backoff) and kill one side while it runs.
            let admin = try chain.client(chain.stores[0], role: "admin")
            let syncing = Task { _ = try? await admin.send(.POST, "/v1/sync", timeout: .seconds(3)).status }
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...250, using: &random)))
            let victim = Bool.random(using: &random) ? chain.hub : chain.stores[0]
            kills.append(victim === chain.hub ? "hub" : "store")
            victim.kill(signal: SIGKILL)
            _ = await syncing.value
            _ = try await victim.waitForExit()
            if victim === chain.hub { try await chain.startHub() } else { try await chain.startStore(0) }
            _ = round
        }
        #expect(
            try await chain.waitForAgreement(timeout: 60, nudge: true),
            "seed \(seed): no convergence after kills \(kills)")
        #expect(try await chain.hubCoverage()["store-1"] == 6000, "seed \(seed): kills \(kills)")
        #expect(try await chain.opsAtHub(origin: "store-1") == 6000, "seed \(seed): kills \(kills)")
        try chain.expectConsistent(seed: seed)
        try await chain.stop()
    }

    /// The hub pulls from a store it can reach (the store has no --hub): the store's
    /// catalogue and scans reach the hub through the same pull endpoint.
    @Test func theHubPullsFromAStoreItCanReach() async throws {
        let seed = SeededGenerator.testSeed()
        let store = try NodeProcess()
        let catalogue = try CrashRecoveryTests.catalogue(rows: 10)
        #expect(try store.run(["import", "catalog", catalogue, "--node", "store-5"]).status == 0)
        let token =
            try store.run(["token", "create", "--role", "peer", "--node", "hub"]).output
            .split(separator: "\n").last.map(String.init) ?? ""
        try await store.start()
        let scans = try await Chain(hub: store, stores: [store], hubPort: 0, skus: [])
            .client(store, role: "scanner")
        let sku = try String(contentsOfFile: catalogue, encoding: .utf8).split(separator: "\n")[1].split(
            separator: ",")[0]
        for index in 0..<20 {
            let reply = try await scans.send(
                .POST, "/v1/scans", json: #"{"id":"p\#(index)","code":"\#(sku)","qty":2,"reason":"receive"}"#)
            #expect(reply.status == 201)
        }
        let hub = try NodeProcess()
        try await hub.start(extraArguments: [
            "--role", "hub", "--node", "hub", "--peer", "http://127.0.0.1:\(store.port),\(token)",
        ])
        let admin = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(hub.port)", token: try hub.credentials()["admin"]!)
        let deadline = Date().addingTimeInterval(20)
        var quantity: Int?
        while Date() < deadline {
            quantity = try await admin.send(.GET, "/v1/stock/\(sku)?location=store-5").body["quantity"] as? Int
            if quantity == 40 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(quantity == 40, "seed \(seed): the hub did not pull the store's scans")
        let status = try await admin.send(.GET, "/v1/sync/status").body
        let peers = status["peers"] as? [[String: Any]] ?? []
        #expect(peers.first?["node"] as? String == "store-5" && peers.first?["last_success"] != nil)
        for node in [hub, store] {
            node.kill(signal: SIGTERM)
            #expect(try await node.waitForExit() == 0)
        }
    }
}
