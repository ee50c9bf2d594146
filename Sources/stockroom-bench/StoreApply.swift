import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore

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
            let pushes = salePushes(stores: stores, opsPerStore: ops / stores, seed: UInt64(round))
            rates.append(
                try await withScratchStore(node: "hub") { store in
                    // The hub's own rules: each store's ops at its own locations, of items it has.
                    try await importSampleCatalogue(into: store, saleStream: true)
                    let started = ContinuousClock.now
                    for push in pushes {
                        _ = try await store.applyPushed(push.ops, from: push.node, locations: .own(push.node))
                    }
                    return Double(ops) / (ContinuousClock.now - started).seconds
                })
            print(String(format: "store apply, round %d: %.0f ops/s", round, rates.last!))
        }
        try output.write(["ops": ops, "ops_per_s": rates, "ops_per_s_median": median(rates)])
    }
}
