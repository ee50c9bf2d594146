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

    func run() async throws {
        var rates: [Double] = []
        for round in 1...output.rounds {
            rates.append(try await applyRate(seed: UInt64(round)))
            print(String(format: "hub apply, round %d: %.0f ops/s", round, rates.last!))
        }
        try output.write([
            "ops": ops, "stores": stores, "mix": mix, "ops_per_s": rates, "ops_per_s_median": median(rates),
        ])
    }

    func applyRate(seed: UInt64) async throws -> Double {
        let hub = try BenchNode(binary: output.binary, name: "hub")
        // The items the stores sell: the hub refuses stock ops for items it has none of (V9).
        let catalogue = FileManager.default.temporaryDirectory.appendingPathComponent("sale-stream-\(UUID()).csv").path
        try SaleStream.catalogueCSV.write(toFile: catalogue, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: catalogue) }
        _ = try hub.admin(["import", "catalog", catalogue, "--node", "hub"])
        try await hub.start(["--role", "hub"])
        defer { hub.stop() }
        var tokens: [NodeID: String] = [:]
        for index in 0..<stores {
            let node = NodeID("store-\(index)")!
            tokens[node] = String(
                try hub.admin(["token", "create", "--role", "peer", "--node", node.rawValue]).split(separator: "\n")
                    .last!)
        }
        let pushes = salePushes(stores: stores, opsPerStore: ops / stores, seed: seed, mix: mix)
        let work = Dictionary(grouping: pushes, by: \.node).map { node, pushes in
            (token: tokens[node]!, batches: pushes.map { WireCompression.wire(SyncBatch(node: node, ops: $0.ops)) })
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (token, batches) in work {
                group.addTask {
                    for batch in batches {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/v1/sync/push")
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
