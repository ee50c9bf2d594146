import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore
import StockroomSync
import StockroomTesting

/// The Swift half of `make bench` (bench/run.sh drives it and the baselines). Each
/// subcommand runs one scenario against real `stockroom` processes or the real codec and
/// writes its figures as JSON for bench/report.py.
@main
struct StockroomBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockroom-bench",
        abstract: "Stockroom's sync benchmarks: hub apply rate, week-offline catch-up, bytes on the wire.",
        subcommands: [
            HubApply.self, StoreApply.self, StoreScans.self, CatchUp.self, SyncSize.self, Replenishment.self,
            ForecastEval.self, ForecastSpeed.self, AnomalySpeed.self, AnomalyExport.self, ReportSpeed.self, Chain.self,
            Bootstrap.self,
        ])
}

struct BenchOutput: ParsableArguments {
    @Option(help: "The stockroom binary to run.") var binary = ".build/release/stockroom"
    @Option(help: "Rounds of the scenario (the median is reported).") var rounds = 3
    @Option(help: "Where to write the figures as JSON.") var out: String?

    func write(_ result: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        if let out {
            try data.write(to: URL(fileURLWithPath: out))
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// What `stores` stores push after selling `opsPerStore` items each: their sale streams
/// (seeded by `seed` and the store's index) cut into the protocol's push batches.
///
/// With `mix`, issue #12's realistic mix (``DocumentStream``): nine sales in ten ops, the
/// rest orders, purchase order receipts and transfers to the next store.
func salePushes(stores: Int, opsPerStore: Int, seed: UInt64, mix: Bool = false) -> [(node: NodeID, ops: [Op])] {
    (0..<stores).flatMap { index in
        let node = NodeID("store-\(index)")!
        let stream =
            mix
            ? DocumentStream.ops(
                count: opsPerStore, seed: seed &+ UInt64(index), origin: node,
                peer: NodeID("store-\((index + 1) % stores)")!)
            : SaleStream.ops(count: opsPerStore, seed: seed &+ UInt64(index), origin: node)
        return stride(from: 0, to: stream.count, by: SyncClient.pushBatch).map {
            (node, Array(stream[$0..<min($0 + SyncClient.pushBatch, stream.count)]))
        }
    }
}

/// Loads fixtures/catalog-10k.csv (the store's scans), or with `saleStream` the items
/// ``SaleStream`` sells (a hub's apply: rule V9 wants the items first).
func importSampleCatalogue(into store: StockroomStore, saleStream: Bool = false) async throws {
    let text =
        saleStream ? SaleStream.catalogueCSV : try String(contentsOfFile: "fixtures/catalog-10k.csv", encoding: .utf8)
    guard case .success(let rows) = CatalogCSV.parse(text) else {
        throw ValidationError("the catalogue does not parse")
    }
    _ = try await store.importItems(rows, actor: "bench")
}

/// Runs `body` with a store in a new temporary folder, removed afterwards.
func withScratchStore<T>(node: String, _ body: (StockroomStore) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stockroom-bench-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(
        StockroomStore(path: folder.appendingPathComponent("stockroom.sqlite").path, nodeID: NodeID(node)!))
}
