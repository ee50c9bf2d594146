import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore
import StockroomTesting

/// The hub's apply without HTTP: ops pushed straight into a StockroomStore on disk, in the
/// protocol's batches, at synchronous=FULL. Separates the store's cost from the server's.
struct StoreApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-apply", abstract: "Ops/s the store applies from pushed batches, in process (no HTTP).")

    @OptionGroup var output: BenchOutput
    @Option(help: "Ops applied per round.") var ops = 100_000
    @Option(help: "Stores whose ops are interleaved.") var stores = 10

    func run() async throws {
        var rates: [Double] = []
        for round in 1...output.rounds {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "stockroom-store-apply-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = try StockroomStore(
                path: folder.appendingPathComponent("hub.sqlite").path, nodeID: NodeID("hub")!)
            let batches = (0..<stores).flatMap { index in
                let node = NodeID("store-\(index)")!
                let stream = SaleStream.ops(count: ops / stores, seed: UInt64(round * 100 + index), origin: node)
                return stride(from: 0, to: stream.count, by: 5000).map {
                    (node, Array(stream[$0..<min($0 + 5000, stream.count)]))
                }
            }
            let started = ContinuousClock.now
            for (node, batch) in batches { _ = try await store.applyPushed(batch, from: node) }
            rates.append(Double(ops) / (ContinuousClock.now - started).seconds)
            print(String(format: "store apply, round %d: %.0f ops/s", round, rates.last!))
        }
        try output.write(["ops": ops, "ops_per_s": rates, "ops_per_s_median": median(rates)])
    }
}
