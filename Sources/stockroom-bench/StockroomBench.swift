import ArgumentParser
import Foundation

/// The Swift half of `make bench` (bench/run.sh drives it and the baselines). Each
/// subcommand runs one scenario against real `stockroom` processes or the real codec and
/// writes its figures as JSON for bench/report.py.
@main
struct StockroomBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockroom-bench",
        abstract: "Stockroom's sync benchmarks: hub apply rate, week-offline catch-up, bytes on the wire.",
        subcommands: [HubApply.self, StoreApply.self, StoreScans.self, CatchUp.self, SyncSize.self])
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
