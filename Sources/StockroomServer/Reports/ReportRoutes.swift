import Foundation
import Hummingbird
import NIOCore
import StockroomCore
import StockroomStore

/// History import and reports (issue #14): `POST /v1/import/history`,
/// `GET /v1/reports`, `GET /v1/reports/{name}`.
struct ReportRoutes {
    let store: StockroomStore

    struct HistoryResponse: ResponseEncodable {
        var rows: Int
        var written: Int
        var alreadyImported: Int
        var from: String?
        var to: String?

        enum CodingKeys: String, CodingKey {
            case rows, written, from, to
            case alreadyImported = "already_imported"
        }
    }

    struct ReportListResponse: ResponseEncodable {
        struct Entry: Encodable {
            var name: String
            var summary: String
        }
        var items: [Entry]
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("reports") { _, _ in
            ReportListResponse(items: ReportName.allCases.map { .init(name: $0.rawValue, summary: $0.summary) })
        }
        group.get("reports/:name") { request, context -> Response in
            let name = try context.pathParameter("name")
            let staleDays = try request.queryInt("stale_days", default: 90, range: 1...3650)
            let query: ReportQuery
            do {
                query = try ReportQuery.parse(
                    name: name, from: request.queryString("from"), to: request.queryString("to"),
                    location: request.queryString("location"), by: request.queryString("by"),
                    period: request.queryString("period") ?? "month", staleDays: staleDays)
            } catch let error as ReportQuery.ArgumentProblem {
                if ReportName(rawValue: name) == nil { throw APIError(.notFound, "unknown_report", error.message) }
                throw APIError.badRequest(error.message)
            }
            let table: ReportTable
            do {
                table = try await store.report(query)
            } catch StoreError.invalid(_, let message) {
                throw APIError.badRequest(message)
            }
            return try Self.render(table, format: request.queryString("format"))
        }
    }

    struct ForecastResponse: ResponseEncodable {
        struct Day: Encodable {
            var date: String
            var units: Double
        }
        struct Item: Encodable {
            var sku: String
            var location: String
            var model: String
            var level: Double
            var sigma: Double
            var days: [Day]
        }
        var asOf: String
        var horizon: Int
        var items: [Item]

        enum CodingKeys: String, CodingKey {
            case horizon, items
            case asOf = "as_of"
        }
    }

    func registerForecast(on group: RouterGroup<StockroomRequestContext>) {
        group.get("forecast") { request, context -> Response in
            let horizon = try request.queryInt("horizon", default: 14, range: 1...366)
            let arguments: (asOf: Int64, horizon: Int)
            do {
                arguments = try ReportQuery.forecastArguments(asOf: request.queryString("as_of"), horizon: horizon)
            } catch let error as ReportQuery.ArgumentProblem {
                throw APIError.badRequest(error.message)
            }
            let sku = request.queryString("sku")
            let location = request.queryString("location")
            for (value, name) in [(sku, "sku"), (location, "location")] {
                if let value, let problem = InputRules.identifierProblem(value, name: name) {
                    throw APIError.badRequest(problem)
                }
            }
            let forecasts = try await store.fitForecasts(
                asOf: arguments.asOf, horizon: arguments.horizon, location: location, sku: sku)
            if request.queryString("format") == "csv" {
                return try Self.render(CellForecast.table(forecasts, asOf: arguments.asOf), format: "csv")
            }
            guard request.queryString("format") ?? "json" == "json" else {
                throw APIError.badRequest("query parameter 'format' must be json or csv")
            }
            let round = { (value: Double) in (value * 10_000).rounded() / 10_000 }
            let body = ForecastResponse(
                asOf: ISODate.dateText(day: arguments.asOf), horizon: arguments.horizon,
                items: forecasts.map { forecast in
                    .init(
                        sku: forecast.key.sku, location: forecast.key.location, model: forecast.model,
                        level: round(forecast.level), sigma: round(forecast.sigma),
                        days: forecast.daily.enumerated().map { offset, units in
                            .init(date: ISODate.dateText(day: forecast.asOf + Int64(offset)), units: round(units))
                        })
                })
            return try body.response(from: request, context: context)
        }
    }

    /// JSON (default) or RFC 4180 CSV with `format=csv`, named for a download.
    static func render(_ table: ReportTable, format: String?) throws -> Response {
        switch format ?? "json" {
        case "json":
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: table.json)))
        case "csv":
            let day = ISODate.dateText(day: table.to)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8; header=present",
                    .contentDisposition: "attachment; filename=\"\(table.name)-\(day).csv\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: table.csv)))
        default:
            throw APIError.badRequest("query parameter 'format' must be json or csv")
        }
    }

    func registerImport(on group: RouterGroup<StockroomRequestContext>) {
        group.post("import/history") { request, context -> HistoryResponse in
            let path = store.folder + "/history-upload-\(UUID().uuidString).csv"
            try await RequestDecoding.spool(request, limit: BodyLimits.historyCSV, to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                let summary = try await store.importHistory(file: path, actor: context.principal!.actorName)
                return HistoryResponse(
                    rows: summary.rows, written: summary.written, alreadyImported: summary.alreadyImported,
                    from: summary.from.map(ISODate.text), to: summary.to.map(ISODate.text))
            } catch let problems as CatalogCSV.Problems {
                var error = APIError(
                    .unprocessableContent, "invalid_history",
                    "the CSV has \(problems.all.count) problem(s); nothing was imported")
                error.problems = problems.all.prefix(100).map(\.description)
                throw error
            }
        }
    }
}
