import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import StockroomCore
import StockroomSync
import StockroomTesting

/// Ten store origins push ops to a hub process concurrently, in the protocol's batches of
/// 5,000, through the real endpoint; ops/s from the first request to the last answer.
struct HubApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-apply", abstract: "Ops/s a hub applies from 10 stores pushing at once.")

    @OptionGroup var output: BenchOutput
    @Option(help: "Ops pushed to the hub per round.") var ops = 100_000
    @Option(help: "Stores pushing at once.") var stores = 10
    @Flag(help: "Issue #12's mix: 90% sales, the rest orders, PO receipts and transfers.") var mix = false
    @Option(help: "A hub on PostgreSQL: an empty database's URL (issue #16).") var database: String?
    @Option(help: "Hub processes over --database; store i pushes to process i mod N.") var processes = 1

    func run() async throws {
        var rates: [Double] = []
        for round in 1...output.rounds {
            rates.append(try await applyRate(seed: UInt64(round)))
            print(String(format: "hub apply, round %d: %.0f ops/s", round, rates.last!))
        }
        try output.write([
            "ops": ops, "stores": stores, "mix": mix, "ops_per_s": rates, "ops_per_s_median": median(rates),
            "backend": database == nil ? "sqlite" : "postgres", "processes": processes,
        ])
    }

    func applyRate(seed: UInt64) async throws -> Double {
        let hub = try BenchNode(binary: output.binary, name: "hub")
        // The items the stores sell: the hub refuses stock ops for items it has none of (V9).
        let catalogue = FileManager.default.temporaryDirectory.appendingPathComponent("sale-stream-\(UUID()).csv").path
        try SaleStream.catalogueCSV.write(toFile: catalogue, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: catalogue) }
        _ = try hub.admin(["import", "catalog", catalogue, "--node", "hub"])
        var tokens: [NodeID: String] = [:]
        for index in 0..<stores {
            let node = NodeID("store-\(index)")!
            tokens[node] = String(
                try hub.admin(["token", "create", "--role", "peer", "--node", node.rawValue]).split(separator: "\n")
                    .last!)
        }
        let shared = database.map { ["--database", $0] } ?? []
        try await hub.start(["--role", "hub"] + shared)
        defer { hub.stop() }
        // More processes over the same database: fresh folders that take the catalogue
        // and the tokens from it when they start.
        var hubs = [hub]
        for index in 1..<max(1, processes) {
            let other = try BenchNode(binary: output.binary, name: "hub-\(index + 1)")
            try await other.start(["--role", "hub", "--node", "hub-\(index + 1)"] + shared)
            hubs.append(other)
        }
        defer { for other in hubs.dropFirst() { other.stop() } }
        let pushes = salePushes(stores: stores, opsPerStore: ops / stores, seed: seed, mix: mix)
        let work = Dictionary(grouping: pushes, by: \.node).map { node, pushes in
            let index = Int(node.rawValue.split(separator: "-").last!)!
            return (
                token: tokens[node]!, port: hubs[index % hubs.count].port,
                batches: pushes.map { WireCompression.wire(SyncBatch(node: node, ops: $0.ops)) }
            )
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (token, port, batches) in work {
                group.addTask {
                    for batch in batches {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sync/push")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Stockroom-Sync-Version", value: mix ? "2" : "1")
                        request.headers.add(name: "Content-Type", value: SyncClient.batchContentType)
                        request.body = .bytes(ByteBuffer(bytes: batch))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok else {
                            throw ValidationError("push failed: \(String(buffer: body))")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(pushes.reduce(0) { $0 + $1.ops.count }) / (ContinuousClock.now - started).seconds
    }
}
