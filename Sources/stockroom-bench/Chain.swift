import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PostgresNIO
import StockroomCore
import StockroomPostgres
import StockroomStore
import StockroomSync
import StockroomTesting

/// A simulated chain (issue #16): `--stores` stores, in this process, each with its own
/// identity (a peer token) and its own stream of sales at a till's pace, against
/// `--processes` real hub processes over one PostgreSQL database. Each store pushes its
/// new sales every `--push-every` seconds (jittered) to one hub process, and pulls what
/// concerns it every 5 s, as the daemon does when idle.
///
/// Reports sync lag (from a sale being made to the hub acknowledging it: p50, p99, max),
/// hub CPU per op (both processes), and database size per million ops. When the load
/// stops, checks that every store's ops are in the log exactly once, that every hub
/// process's replica holds them, and that the log passes `hub check`.
struct Chain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain", abstract: "A simulated chain of stores against hub processes on PostgreSQL.")

    @OptionGroup var output: BenchOutput
    @Option(help: "Simulated stores.") var stores = 1000
    @Option(help: "Hub processes over the database.") var processes = 2
    @Option(help: "An empty PostgreSQL database's URL.") var database: String
    @Option(help: "Seconds of load.") var seconds = 60.0
    @Option(help: "Sales per store per minute (a till's pace).") var salesPerMinute = 6.0
    @Option(help: "Seconds between a store's pushes.") var pushEvery = 2.0
    @Option(help: "Seed of the stores' sale streams and timing.") var seed: UInt64 = 16

    func run() async throws {
        let catalogue = FileManager.default.temporaryDirectory.appendingPathComponent("chain-\(UUID()).csv").path
        try SaleStream.catalogueCSV.write(toFile: catalogue, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: catalogue) }
        let first = try BenchNode(binary: output.binary, name: "hub-1")
        _ = try first.admin(["import", "catalog", catalogue, "--node", "hub-1"])
        // A thousand peer tokens, made in process (a thousand CLI runs would take a minute).
        var tokens: [String] = []
        do {
            let store = try StockroomStore(path: first.data + "/stockroom.sqlite", nodeID: NodeID("hub-1")!)
            for index in 0..<stores {
                tokens.append(try await store.createToken(role: .peer, node: "store-\(index)").token)
            }
        }
        var hubs = [first]
        try await first.start(["--role", "hub", "--database", database])
        for index in 1..<max(1, processes) {
            let hub = try BenchNode(binary: output.binary, name: "hub-\(index + 1)")
            try await hub.start(["--role", "hub", "--node", "hub-\(index + 1)", "--database", database])
            hubs.append(hub)
        }
        defer { for hub in hubs { hub.stop() } }
        try await Task.sleep(for: .seconds(4))  // the tokens reach every process
        // The stores already hold the catalogue (they synced before): they pull from the
        // log's head, so what is measured is the chain's traffic, not a first download.
        let logger = Logger(label: "chain")
        let log = try await PostgresHubLog.open(
            PostgresURL(database), proposedNode: nil, logger: logger, waitLimit: .seconds(30))
        defer { log.close() }
        let start = (epoch: try await log.identity().epoch, position: try await log.head())
        let cpuBefore = hubs.map { $0.cpuSeconds() }
        let sizeBefore = try await Self.databaseSize(log, logger: logger)
        print("chain: \(stores) stores, \(processes) hub processes, \(Int(seconds)) s of load")

        let lags = Locked<[Double]>([])
        let pushedOps = Locked<[Int]>(Array(repeating: 0, count: stores))
        let failures = Locked(0)
        let end = ContinuousClock.now + .seconds(seconds)
        let perStore = max(1, Int(seconds * salesPerMinute / 60) + 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<stores {
                let token = tokens[index]
                let port = hubs[index % hubs.count].port
                let seed = self.seed
                let pushEvery = self.pushEvery
                let salesPerMinute = self.salesPerMinute
                group.addTask {
                    var random = SeededGenerator(seed: seed &+ UInt64(index))
                    let node = NodeID("store-\(index)")!
                    let sales = SaleStream.ops(count: perStore, seed: seed &+ UInt64(index), origin: node)
                    var made: [(op: Op, at: ContinuousClock.Instant)] = []
                    var next = 0
                    var acknowledged = 0
                    // Stores start spread over one push interval.
                    try await Task.sleep(for: .seconds(Double.random(in: 0..<pushEvery, using: &random)))
                    var saleDue = ContinuousClock.now
                    var lastPull = ContinuousClock.now
                    var cursor = start
                    while ContinuousClock.now < end || acknowledged < made.count {
                        let now = ContinuousClock.now
                        while now < end && saleDue <= now && next < sales.count {
                            made.append((sales[next], saleDue))
                            next += 1
                            saleDue += .seconds(60 / salesPerMinute * Double.random(in: 0.5...1.5, using: &random))
                        }
                        if acknowledged < made.count {
                            let batch = made[acknowledged...].map(\.op)
                            if (try? await Self.push(batch, node: node, token: token, port: port)) != nil {
                                let answered = ContinuousClock.now
                                lags.withLock { lags in
                                    for entry in made[acknowledged...] { lags.append((answered - entry.at).seconds) }
                                }
                                acknowledged = made.count
                            } else {
                                failures.withLock { $0 += 1 }
                            }
                        }
                        if now - lastPull >= .seconds(5) {
                            lastPull = now
                            cursor =
                                (try? await Self.pull(node: node, token: token, port: port, from: cursor)) ?? cursor
                        }
                        try await Task.sleep(
                            for: .seconds(pushEvery * Double.random(in: 0.8...1.2, using: &random)))
                    }
                    let total = acknowledged
                    pushedOps.withLock { $0[index] = total }
                }
            }
            try await group.waitForAll()
        }
        let cpu = zip(hubs, cpuBefore).map { $0.cpuSeconds() - $1 }.reduce(0, +)
        let total = pushedOps.value.reduce(0, +)

        // Convergence: the log holds each store's ops once; every replica has them all.
        let coverage = try await log.coverage()
        let short = (0..<stores).filter { coverage[NodeID("store-\($0)")!] != UInt64(pushedOps.value[$0]) }
        let check = try await log.check()
        var replicasBehind = 0
        let deadline = ContinuousClock.now + .seconds(120)
        for hub in hubs {
            let token = try hub.credential("admin")
            for index in 0..<stores where pushedOps.value[index] > 0 {
                while try await hub.coverage(of: "store-\(index)", token: token) < UInt64(pushedOps.value[index]) {
                    if ContinuousClock.now > deadline {
                        replicasBehind += 1
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
        let size = try await Self.databaseSize(log, logger: logger) - sizeBefore
        let sorted = lags.value.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]
        }
        let converged = short.isEmpty && check.isHealthy && replicasBehind == 0
        print(
            String(
                format:
                    "chain: %d ops from %d stores in %.0f s (%.0f ops/s); sync lag p50 %.3f s, p99 %.3f s, max %.3f s; hub CPU %.1f µs/op; database %.0f MB per million ops; %d failed pushes retried; converged: %@",
                total, stores, seconds, Double(total) / seconds, percentile(0.5), percentile(0.99), sorted.last ?? 0,
                cpu / Double(max(total, 1)) * 1e6, Double(size) / 1e6 / Double(max(total, 1)) * 1e6,
                failures.value, converged ? "yes" : "NO"))
        if !short.isEmpty { print("  stores whose ops the log lacks: \(short.prefix(10))") }
        if !check.isHealthy { print("  hub check: \(check.problems.prefix(5))") }
        try output.write([
            "stores": stores, "processes": processes, "seconds": seconds, "ops": total,
            "lag_p50_s": percentile(0.5), "lag_p99_s": percentile(0.99), "lag_max_s": sorted.last ?? 0,
            "hub_cpu_us_per_op": cpu / Double(max(total, 1)) * 1e6,
            "database_mb_per_million_ops": Double(size) / 1e6 / Double(max(total, 1)) * 1e6,
            "database_bytes": size, "failed_pushes": failures.value, "converged": converged,
        ])
        if !converged { throw ExitCode(1) }
    }

    /// The database's size on disk, in bytes (what the load adds is measured, not the
    /// empty database and the catalogue).
    static func databaseSize(_ log: PostgresHubLog, logger: Logger) async throws -> Int64 {
        try await PostgresRetry.run(log.hosts, logger: logger) { connection in
            var bytes: Int64 = 0
            for try await value in try await connection.query(
                "SELECT pg_database_size(current_database())", logger: logger
            ).decode(Int64.self) { bytes = value }
            return bytes
        }
    }

    /// Pushes `ops` (of origin `node`) to the hub process on `port`; throws unless acknowledged.
    static func push(_ ops: [Op], node: NodeID, token: String, port: Int) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sync/push")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Stockroom-Sync-Version", value: String(SyncMessages.protocolVersion))
        request.headers.add(name: "Content-Type", value: SyncClient.batchContentType)
        request.body = .bytes(ByteBuffer(bytes: WireCompression.wire(SyncBatch(node: node, ops: ops))))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw ValidationError("push: \(response.status)") }
    }

    /// One pull of what concerns `node`, from `cursor`; returns the new cursor.
    static func pull(
        node: NodeID, token: String, port: Int, from cursor: (epoch: String, position: UInt64)
    )
        async throws -> (epoch: String, position: UInt64)
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sync/pull")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Stockroom-Sync-Version", value: String(SyncMessages.protocolVersion))
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(
            PullRequest(node: node.rawValue, epoch: cursor.epoch, cursor: cursor.position, maxOps: 5000))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { throw ValidationError("pull: \(response.status)") }
        let batch = try BatchCodec.decode(try WireCompression.decompress(Array(bytes.readableBytesView)))
        return (batch.epoch, batch.cursor)
    }
}
