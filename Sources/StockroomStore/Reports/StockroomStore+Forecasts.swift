import Foundation
import GRDB
public import StockroomCore

/// A cell's daily demand forecast (issue #14).
public struct CellForecast: Hashable, Sendable {
    public var key: StockKey
    /// The first day forecast (day number); the history used ends the day before.
    public var asOf: Int64
    public var model: String
    /// Units per day from `asOf`, weekday profile applied.
    public var daily: [Double]
    /// Units per day before the profile (the mean of a week).
    public var level: Double
    /// Standard deviation of a day's demand around the forecast (holdout error).
    public var sigma: Double
}

extension StockroomStore {
    /// Days of sales history a forecast is fitted on.
    public static let forecastWindowDays = 56
    /// Days stored per cell by the background refresh.
    public static let storedForecastDays = 28

    /// Fits a forecast for every cell with a sale in the `window` days before `asOf` (or
    /// the one cell asked for), from the daily ledger: the automatic method choice of
    /// ``DemandForecaster``, with the cell's own weekday profile when it sold enough and its
    /// location's otherwise (pooling across the location's items). Read-only; pure given
    /// the ledger, so the same day gives the same forecast.
    public func fitForecasts(
        asOf: Int64, horizon: Int, location: String? = nil, sku: String? = nil, window: Int = forecastWindowDays
    ) async throws -> [CellForecast] {
        let series = try await read { db in
            try Self.salesSeries(asOf: asOf, window: window, location: location, sku: sku, db: db)
        }
        return Self.fit(series, asOf: asOf, horizon: horizon, window: window)
    }

    /// Daily units sold per cell over `asOf - window ..< asOf`, and each location's total per
    /// weekday.
    static func salesSeries(
        asOf: Int64, window: Int, location: String?, sku: String?, db: Database
    ) throws -> (cells: [StockKey: [Double]], locations: [String: [Double]]) {
        var sql = "SELECT location, sku, day, sold FROM cell_days WHERE day BETWEEN ? AND ? AND sold > 0"
        var arguments: [DatabaseValueConvertible] = [asOf - Int64(window), asOf - 1]
        if let location {
            sql += " AND (location = ? OR substr(location, 1, ?) = ?)"
            arguments += [location, location.utf8.count + 1, location + "/"]
        }
        if let sku {
            sql += " AND sku = ?"
            arguments.append(sku)
        }
        var cells: [StockKey: [Double]] = [:]
        var locations: [String: [Double]] = [:]
        let first = asOf - Int64(window)
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while let row = try cursor.next() {
            let key = StockKey(sku: row[1], location: row[0])
            let index = Int((row[2] as Int64) - first)
            let sold = Double(row[3] as Int64)
            cells[key, default: Array(repeating: 0, count: window)][index] += sold
        }
        // Each location's sales of every item, for the pooled weekday pattern, whatever
        // cells were asked for.
        for row in try Row.fetchAll(
            db, sql: "SELECT location, day, sold FROM location_days WHERE day BETWEEN ? AND ? AND sold > 0",
            arguments: [first, asOf - 1])
        {
            let location: String = row[0]
            guard cells.keys.contains(where: { $0.location == location }) || sku == nil else { continue }
            locations[location, default: Array(repeating: 0, count: window)][Int((row[1] as Int64) - first)] +=
                Double(row[2] as Int64)
        }
        return (cells, locations)
    }

    /// Monday = 0 for a day number (1970-01-01 was a Thursday).
    static func weekday(_ day: Int64) -> Int { Int((day + 3) % 7) }

    static func fit(
        _ series: (cells: [StockKey: [Double]], locations: [String: [Double]]), asOf: Int64, horizon: Int, window: Int
    ) -> [CellForecast] {
        let firstSeason = weekday(asOf - Int64(window))
        let pooled = series.locations.mapValues { DemandForecaster.profile($0, season: 7, first: firstSeason) }
        let forecaster = DemandForecaster()
        return series.cells.sorted { $0.key < $1.key }.map { key, history in
            let forecast = forecaster.forecast(
                history, horizon: horizon, firstSeason: firstSeason, pooled: pooled[key.location] ?? nil)
            return CellForecast(
                key: key, asOf: asOf, model: forecast.method.rawValue, daily: forecast.periods, level: forecast.level,
                sigma: forecast.sigma)
        }
    }

    /// Fits every cell's forecast as of today and replaces the stored ones, in one
    /// transaction (a reader sees the old set or the new one). Returns how many cells.
    @discardableResult
    public func refreshForecasts(asOf: Int64? = nil) async throws -> Int {
        let day = asOf ?? Int64(wallMillis() / 86_400_000)
        let forecasts = try await fitForecasts(asOf: day, horizon: Self.storedForecastDays)
        let fittedAt = Int64(wallMillis())
        try await groupWriter.submit { db, _ in
            try db.execute(sql: "DELETE FROM forecasts")
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO forecasts (sku, location, as_of, model, daily, level, sigma, fitted_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for forecast in forecasts {
                let daily = forecast.daily.map { String(($0 * 10_000).rounded() / 10_000) }.joined(separator: ",")
                try insert.execute(arguments: [
                    forecast.key.sku, forecast.key.location, forecast.asOf, forecast.model, daily, forecast.level,
                    forecast.sigma, fittedAt,
                ])
            }
        }
        return forecasts.count
    }

    /// The stored forecasts of these cells (those that have one).
    static func storedEstimates(db: Database) throws -> [StockKey: ReplenishmentPlanner.DemandEstimate] {
        var estimates: [StockKey: ReplenishmentPlanner.DemandEstimate] = [:]
        // The level is the mean of a week's forecast (the weekday profile averages 1).
        let cursor = try Row.fetchCursor(db, sql: "SELECT sku, location, level, sigma, model FROM forecasts")
        while let row = try cursor.next() {
            estimates[StockKey(sku: row[0], location: row[1])] = .init(daily: row[2], sigma: row[3], model: row[4])
        }
        return estimates
    }

    /// One cell's stored forecast, if the background refresh made one.
    static func storedEstimate(_ key: StockKey, db: Database) throws -> ReplenishmentPlanner.DemandEstimate? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT level, sigma, model FROM forecasts WHERE sku = ? AND location = ?"),
                arguments: [key.sku, key.location])
        else { return nil }
        return .init(daily: row[0], sigma: row[1], model: row[2])
    }

    /// When the stored forecasts were fitted (ms), or nil.
    public func forecastsFittedAt() async throws -> UInt64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT max(fitted_at) FROM forecasts").map { UInt64($0) }
        }
    }
}

extension CellForecast {
    /// One row per cell and day: sku, location, date, forecast (units), model.
    public static func table(_ forecasts: [CellForecast], asOf: Int64) -> ReportTable {
        var rows: [[ReportTable.Cell]] = []
        for forecast in forecasts {
            for (offset, units) in forecast.daily.enumerated() {
                rows.append([
                    .text(forecast.key.sku), .text(forecast.key.location), .date(forecast.asOf + Int64(offset)),
                    .ratio(units), .text(forecast.model),
                ])
            }
        }
        var table = ReportTable(
            name: "forecast", from: asOf, to: asOf + Int64(forecasts.first?.daily.count ?? 1) - 1, location: nil,
            columns: [
                .init("sku", .text), .init("location", .text), .init("date", .date), .init("forecast", .ratio),
                .init("model", .text),
            ], rows: rows)
        table.notes = [
            "Daily demand forecasts fitted on the \(StockroomStore.forecastWindowDays) days before \(ISODate.dateText(day: asOf)); cells with no sale in that window are not listed (their forecast is 0)."
        ]
        return table
    }
}

extension ReportQuery {
    /// Checks a forecast's horizon (1 to 366 days) and optional as-of date.
    public static func forecastArguments(
        asOf: String?, horizon: Int
    ) throws(ArgumentProblem) -> (asOf: Int64, horizon: Int) {
        guard (1...366).contains(horizon) else {
            throw ArgumentProblem("horizon must be 1 to 366 days, not \(horizon)")
        }
        let today = Int64(Date().timeIntervalSince1970 / 86_400)
        guard let asOf else { return (today, horizon) }
        guard let day = ISODate.day(asOf) else {
            throw ArgumentProblem("as_of '\(asOf.prefix(20))' is not a date like 2025-03-01")
        }
        guard day <= today + 1 else {
            throw ArgumentProblem("as_of \(asOf) is in the future: forecasts are made from the days before it")
        }
        return (day, horizon)
    }
}
