import ArgumentParser
import Foundation
import StockroomCore
@_spi(Bench) import StockroomStore

/// Issue #14's figures. `forecast-eval` forecasts series given as JSON with Stockroom's
/// automatic method (bench/analytics.py compares it with statsforecast on the same series);
/// `forecast-speed`, `anomaly-speed` and `report-speed` time the targets;
/// `anomaly-export` writes every scored movement's features and score for the side-by-side
/// with scikit-learn.
struct ForecastEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast-eval", abstract: "Forecast JSON series ({\"series\": [[…]]}) with the automatic method.")
    @Option(help: "Input JSON file.") var input: String
    @Option(help: "Periods to forecast.") var horizon: Int
    @Option(help: "Season length (7 for daily series; 1 for none).") var season = 1
    @Option(help: "Season index of each series' first value.") var firstSeason = 0
    @Flag(help: "Pool the weekday profile across the series (a store's items).") var pool = false

    func run() async throws {
        struct Input: Decodable { var series: [[Double]] }
        let series = try JSONDecoder().decode(Input.self, from: Data(contentsOf: URL(fileURLWithPath: input))).series
        let forecaster = DemandForecaster(seasonLength: season > 1 ? season : nil)
        var pooled: [Double]?
        if pool, season > 1, let length = series.map(\.count).max() {
            var total = Array(repeating: 0.0, count: length)
            for values in series where values.count == length {
                for (index, value) in values.enumerated() { total[index] += value }
            }
            pooled = DemandForecaster.profile(total, season: season, first: firstSeason)
        }
        let startedCPU = cpuSeconds()
        let forecasts = series.map {
            forecaster.forecast($0, horizon: horizon, firstSeason: firstSeason, pooled: pooled)
        }
        let cpu = cpuSeconds() - startedCPU
        var methods: [String: Int] = [:]
        for forecast in forecasts { methods[forecast.method.rawValue, default: 0] += 1 }
        let object: [String: Any] = [
            "forecasts": forecasts.map(\.periods), "methods": methods, "cpu_seconds": cpu,
        ]
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: object))
    }
}

struct ForecastSpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast-speed", abstract: "CPU seconds to fit and forecast N daily series of D days.")
    @OptionGroup var output: BenchOutput
    @Option(help: "Series.") var series = 30_000
    @Option(help: "Days of history per series.") var days = 28

    func run() async throws {
        var random = SplitMix64(seed: 14)
        let data = (0..<series).map { index -> [Double] in
            let rate = [0.05, 0.2, 0.6, 2, 6][index % 5]
            return (0..<days).map { day in
                // Poisson demand (Knuth's method) with a weekday pattern.
                let lambda = rate * [0.85, 0.9, 0.95, 1.0, 1.2, 1.55, 0.55][day % 7]
                let limit = exp(-lambda)
                var units = -1.0
                var product = 1.0
                repeat {
                    units += 1
                    product *= Double(random.next() >> 11) / Double(1 << 53)
                } while product > limit
                return units
            }
        }
        var seconds: [Double] = []
        for round in 1...output.rounds {
            let startedCPU = cpuSeconds()
            let forecaster = DemandForecaster()
            var total = 0.0
            for values in data { total += forecaster.forecast(values, horizon: 28).periods[0] }
            let cpu = cpuSeconds() - startedCPU
            seconds.append(cpu)
            print(
                String(
                    format: "forecast-speed, round %d: %d series × %d days in %.3f s CPU (checksum %.1f)", round,
                    series, days, cpu, total))
        }
        try output.write([
            "series": series, "days": days, "cpu_seconds": seconds, "cpu_seconds_median": median(seconds),
        ])
    }
}

struct AnomalySpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly-speed",
        abstract: "Seconds to featurise and score N scored movements (with 4 sales each around them), in memory.")
    @OptionGroup var output: BenchOutput
    @Option(help: "Scored movements.") var movements = 1_000_000

    func run() async throws {
        var random = SplitMix64(seed: 14)
        var events: [LedgerEvent] = []
        events.reserveCapacity(movements * 5)
        let origin = NodeID("store-1")!
        var seq: UInt64 = 0
        var millis: UInt64 = 1_750_000_000_000
        let kinds: [LedgerEvent.Kind] = [.adjust, .damage, .return, .count]
        for index in 0..<movements {
            for _ in 0..<4 {
                seq += 1
                millis += 30_000 + random.next() % 60_000
                events.append(
                    LedgerEvent(
                        id: OpID(origin: origin, seq: seq),
                        key: StockKey(sku: "SKU-\(random.next() % 10_000)", location: "store-\(random.next() % 20)"),
                        kind: .sale, quantity: -1 - Int64(random.next() % 3), millis: millis,
                        actor: "cashier-\(random.next() % 8)", device: "till-\(random.next() % 4)", priceCents: 499))
            }
            seq += 1
            let kind = kinds[index % 4]
            events.append(
                LedgerEvent(
                    id: OpID(origin: origin, seq: seq),
                    key: StockKey(sku: "SKU-\(random.next() % 10_000)", location: "store-\(random.next() % 20)"),
                    kind: kind,
                    quantity: kind == .count
                        ? Int64(random.next() % 30) : (kind == .return ? 1 : -1 - Int64(random.next() % 4)),
                    millis: millis, actor: "staff-\(random.next() % 6)", device: "hh-\(random.next() % 3)",
                    priceCents: 499))
        }
        var seconds: [Double] = []
        for round in 1...output.rounds {
            let started = ContinuousClock.now
            var featurizer = MovementFeaturizer()
            var rows: [[Double]] = []
            rows.reserveCapacity(movements)
            for event in events { if let (features, _) = featurizer.consume(event) { rows.append(features) } }
            var forest = IsolationForest()
            forest.fit(Array(rows.prefix(100_000)), seed: 14)
            var sum = 0.0
            for row in rows { sum += forest.score(row) }
            let elapsed = (ContinuousClock.now - started).seconds
            seconds.append(elapsed)
            print(
                String(
                    format:
                        "anomaly-speed, round %d: %d movements (+%d sales) featurised, fitted and scored in %.2f s (mean score %.3f)",
                    round, rows.count, events.count - rows.count, elapsed, sum / Double(max(1, rows.count))))
        }
        try output.write(["movements": movements, "seconds": seconds, "seconds_median": median(seconds)])
    }
}

struct AnomalyExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly-export",
        abstract: "Write every movement's features and score as CSV (fit and score halves).")
    @Option(help: "The data folder.") var data: String
    @Option(help: "Score movements from this ISO-8601 time; fit on those before.") var since: String
    @Option(help: "The CSV to write.") var out: String

    func run() async throws {
        guard let since = ISODate.millis(since) else { throw ValidationError("--since is not an ISO-8601 time") }
        let store = try StockroomStore(path: data + "/stockroom.sqlite")
        let started = ContinuousClock.now
        let (fit, scored) = try await store.scoredMovementsForBench(since: since)
        let elapsed = (ContinuousClock.now - started).seconds
        var lines = ["split,key," + MovementFeaturizer.names.joined(separator: ",") + ",score"]
        for (split, rows) in [("fit", fit), ("score", scored)] {
            for row in rows {
                lines.append(
                    "\(split),\(row.key)," + row.features.map { String($0) }.joined(separator: ",") + ",\(row.score)")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        print(
            String(
                format: "anomaly-export: %d fit rows, %d scored rows in %.2f s (read, featurise, fit, score)",
                fit.count, scored.count, elapsed))
    }
}

struct ReportSpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-speed",
        abstract: "Seconds per report over a year of a hub's ledger (items × stores, loaded directly).")
    @OptionGroup var output: BenchOutput
    @Option(help: "Items.") var items = 10_000
    @Option(help: "Stores.") var stores = 20
    @Option(help: "Share of cell-days with a movement.") var density = 0.3

    func run() async throws {
        let folder = NSTemporaryDirectory() + "stockroom-report-speed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try StockroomStore(path: folder + "/stockroom.sqlite", nodeID: NodeID("hub")!)
        let today = Int64(Date().timeIntervalSince1970 / 86_400)
        let started = ContinuousClock.now
        let rows = try await store.loadSyntheticLedgerForBench(
            items: items, locations: stores, firstDay: today - 365, lastDay: today - 1, density: density, seed: 14)
        print(
            String(
                format: "report-speed: %d ledger rows loaded in %.1f s", rows, (ContinuousClock.now - started).seconds))
        var figures: [String: Any] = ["items": items, "stores": stores, "ledger_rows": rows]
        // The first report rolls the monthly totals up (once); its time is reported apart.
        let rollStarted = ContinuousClock.now
        _ = try await store.report(ReportQuery(name: .stockValue, from: today - 365, to: today - 1))
        figures["first_report_with_roll_up_seconds"] = (ContinuousClock.now - rollStarted).seconds
        for name in ReportName.allCases {
            var query = ReportQuery(name: name, from: today - 365, to: today - 1)
            if name == .sales { query.by = .item }
            var seconds: [Double] = []
            var rowCount = 0
            for _ in 1...output.rounds {
                let begin = ContinuousClock.now
                rowCount = try await store.report(query).rows.count
                seconds.append((ContinuousClock.now - begin).seconds)
            }
            print(
                String(
                    format: "report-speed: %@ over 365 days: %d rows, median %.3f s", name.rawValue, rowCount,
                    median(seconds)))
            figures[name.rawValue] = ["seconds": seconds, "seconds_median": median(seconds), "rows": rowCount]
        }
        try output.write(figures)
    }
}

/// CPU seconds of this process so far (user + system).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}
