import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore

/// Scans recorded straight into a StockroomStore by concurrent tasks, durable, no HTTP:
/// what the store and the group commit cost per scan, apart from the server.
struct StoreScans: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-scans", abstract: "Scans/s the store records from concurrent callers, in process (no HTTP)."
    )

    @OptionGroup var output: BenchOutput
    @Option(help: "Scans per round.") var scans = 100_000
    @Option(help: "Concurrent callers.") var callers = 64

    func run() async throws {
        var rates: [Double] = []
        for round in 1...output.rounds {
            rates.append(
                try await withScratchStore(node: "store-1") { store in
                    try await importSampleCatalogue(into: store)
                    let skus = try await store.listItems(category: nil, text: nil, afterSKU: nil, limit: 1000).items
                        .map(\.sku)
                    let perCaller = scans / callers
                    let started = ContinuousClock.now
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for caller in 0..<callers {
                            group.addTask {
                                for n in 0..<perCaller {
                                    _ = try await store.recordScan(
                                        ScanCommand(
                                            scanID: "r\(round)-\(n)",
                                            code: skus[(n * 7919 + caller * 104729) % skus.count],
                                            quantity: 1,
                                            action: .move(.sale), device: "till-\(caller)"), actor: "bench")
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    return Double(perCaller * callers) / (ContinuousClock.now - started).seconds
                })
            print(String(format: "store scans, round %d: %.0f scans/s", round, rates.last!))
        }
        try output.write([
            "scans": scans, "callers": callers, "scans_per_s": rates, "scans_per_s_median": median(rates),
        ])
    }
}
