import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore

/// `stockroom report NAME`: the reports of issue #14, as a table, CSV or JSON.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a report: \(ReportName.allCases.map(\.rawValue).joined(separator: ", ")).",
        discussion: ReportName.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var options: NodeOptions
    @Argument(help: "The report.") var name: String
    @Option(help: "First day, YYYY-MM-DD (default: 30 days before --to).") var from: String?
    @Option(help: "Last day, YYYY-MM-DD, included (default: today, UTC).") var to: String?
    @Option(help: "Only this location and its sub-locations.") var location: String?
    @Option(help: "Group by cell, item, category, location or period (what the report offers).") var by: String?
    @Option(help: "Periods of day, week or month (movements, sales by period).") var period = "month"
    @Option(name: .customLong("stale-days"), help: "Dead stock: days without a sale.") var staleDays = 90
    @Option(help: "table (default), csv or json.") var format = "table"

    func run() async throws {
        let query: ReportQuery
        do {
            query = try ReportQuery.parse(
                name: name, from: from, to: to, location: location, by: by, period: period, staleDays: staleDays)
        } catch { throw ValidationError(error.message) }
        guard ["table", "csv", "json"].contains(format) else {
            throw ValidationError("--format must be table, csv or json")
        }
        let (store, _) = try await AdminStore.open(options)
        let table: ReportTable
        do {
            table = try await store.report(query)
        } catch let error as StoreError {
            throw ValidationError(error.description)
        }
        switch format {
        case "csv": FileHandle.standardOutput.write(Data(table.csv.utf8))
        case "json": FileHandle.standardOutput.write(Data(table.json + [10]))
        default: print(table.text())
        }
    }
}

/// `stockroom forecast`: daily demand forecasts per item and location.
struct Forecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print daily demand forecasts per item and location, with the model used.",
        discussion: """
            Each cell with a sale in the 8 weeks before --as-of gets the forecast of the method that \
            did best on its last two weeks (SES, Croston, SBA, TSB, ADIDA, IMAPA, ETS, historic average), \
            with a weekday profile. --as-of in the past shows what would have been forecast then.
            """)

    @OptionGroup var options: NodeOptions
    @Option(name: .customLong("as-of"), help: "First day forecast, YYYY-MM-DD (default: today, UTC).") var asOf: String?
    @Option(help: "Days to forecast (1-366).") var horizon = 14
    @Option(help: "Only this location and its sub-locations.") var location: String?
    @Option(help: "Only this SKU.") var sku: String?
    @Option(help: "table (default), csv or json.") var format = "table"

    func run() async throws {
        let arguments: (asOf: Int64, horizon: Int)
        do {
            arguments = try ReportQuery.forecastArguments(asOf: asOf, horizon: horizon)
        } catch { throw ValidationError(error.message) }
        guard ["table", "csv", "json"].contains(format) else {
            throw ValidationError("--format must be table, csv or json")
        }
        let (store, _) = try await AdminStore.open(options)
        let forecasts = try await store.fitForecasts(
            asOf: arguments.asOf, horizon: arguments.horizon, location: location, sku: sku)
        let table = CellForecast.table(forecasts, asOf: arguments.asOf)
        switch format {
        case "csv": FileHandle.standardOutput.write(Data(table.csv.utf8))
        case "json": FileHandle.standardOutput.write(Data(table.json + [10]))
        default: print(table.text(limit: 100))
        }
    }
}

/// `stockroom anomalies`: unusual adjustments, write-offs, returns and counts.
struct Anomalies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List unusual stock movements (possible shrinkage), most unusual first; review them.",
        discussion: """
            Every adjustment, damage write-off, return and count since --since is scored by an isolation \
            forest fitted on the movements before it, on causal features (size against the item's usual \
            and its sales, time of day against opening hours, the same user's and device's recent \
            movements, count shortfalls, returns of items not sold recently). --budget flags that share \
            of them (default 0.02: 2%).
            """,
        subcommands: [List.self, Review.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List flagged movements.")
        @OptionGroup var options: NodeOptions
        @Option(help: "From this date or time, ISO-8601 (default: 7 days ago).") var since: String?
        @Option(help: "Share of scored movements to flag, 0.001-0.5 (default 0.02).") var budget: Double?
        @Option(help: "Only this location and its sub-locations.") var location: String?
        @Option(help: "table (default), csv or json.") var format = "table"

        func run() async throws {
            let arguments: (since: UInt64, budget: Double)
            do {
                arguments = try ReportQuery.anomalyArguments(since: since, budget: budget)
            } catch { throw ValidationError(error.message) }
            guard ["table", "csv", "json"].contains(format) else {
                throw ValidationError("--format must be table, csv or json")
            }
            let (store, _) = try await AdminStore.open(options)
            let report = try await store.anomalies(
                since: arguments.since, location: location, budget: arguments.budget)
            switch format {
            case "csv": FileHandle.standardOutput.write(Data(report.table.csv.utf8))
            case "json": FileHandle.standardOutput.write(Data(report.table.json + [10]))
            default:
                for movement in report.flagged {
                    print(
                        "\(movement.rank). \(movement.op)  \(ISODate.text(movement.occurredAt).prefix(16))  \(movement.key)  \(movement.kind) \(movement.quantity) by \(movement.actor)  score \(String(format: "%.3f", movement.score))"
                    )
                    print(
                        "   \(movement.reason)\(movement.review.map { "  [reviewed: \($0.verdict.rawValue) by \($0.by)]" } ?? "")"
                    )
                }
                print(report.table.notes.joined(separator: "\n"))
            }
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a flagged movement reviewed (replicates to the hub and the other nodes).")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The movement's op id (origin:seq), as listed.") var op: String
        @Option(help: "shrinkage or explained.") var verdict: String
        @Option(help: "Who reviewed it.") var by = "cli"
        @Option(help: "A note (no ';' or '=').") var note: String?

        func run() async throws {
            guard let id = OpID(op) else { throw ValidationError("'\(op)' is not an op id like store-1:1234") }
            guard let verdict = AnomalyReview.Verdict(rawValue: verdict) else {
                throw ValidationError("--verdict must be shrinkage or explained")
            }
            if let note, note.contains(where: { ";=\n\r\t".contains($0) }) || note.isEmpty || note.utf8.count > 200 {
                throw ValidationError("--note must be 1-200 characters without ; = or line breaks")
            }
            let (store, _) = try await AdminStore.open(options)
            do {
                try await store.reviewAnomaly(
                    id, review: AnomalyReview(by: by, verdict: verdict, note: note), actor: "cli:\(by)")
            } catch let error as StoreError {
                throw ValidationError(error.description)
            } catch let violation as OpViolation {
                throw ValidationError(violation.message)
            }
            print("marked \(id) as \(verdict.rawValue)")
        }
    }
}
