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
