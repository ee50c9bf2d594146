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

    struct AnomalyResponse: ResponseEncodable {
        struct Item: Encodable {
            var rank: Int
            var op: String
            var sku: String
            var location: String
            var kind: String
            var quantity: Int64
            var occurredAt: String
            var actor: String
            var device: String?
            var score: Double
            var reason: String
            var review: Review?

            enum CodingKeys: String, CodingKey {
                case rank, op, sku, location, kind, quantity, actor, device, score, reason, review
                case occurredAt = "occurred_at"
            }
        }
        struct Review: Encodable {
            var verdict: String
            var by: String
            var note: String?
        }
        var since: String
        var budget: Double
        var scored: Int
        var fittedOn: Int
        var items: [Item]

        enum CodingKeys: String, CodingKey {
            case since, budget, scored, items
            case fittedOn = "fitted_on"
        }
    }

    struct ReviewInput: Decodable {
        var op: String
        var verdict: String
        var note: String?
    }

    struct ReviewResponse: ResponseEncodable {
        var op: String
        var verdict: String
        var by: String
        var note: String?
        var setAt: String

        enum CodingKeys: String, CodingKey {
            case op, verdict, by, note
            case setAt = "set_at"
        }
    }

    func registerAnomalies(
        reads: RouterGroup<StockroomRequestContext>, writes: RouterGroup<StockroomRequestContext>
    ) {
        reads.get("anomalies") { request, context -> Response in
            var budget: Double?
            if let text = request.queryString("budget") {
                guard let value = Double(text) else {
                    throw APIError.badRequest("query parameter 'budget' must be a number like 0.02")
                }
                budget = value
            }
            let arguments: (since: UInt64, budget: Double)
            do {
                arguments = try ReportQuery.anomalyArguments(since: request.queryString("since"), budget: budget)
            } catch let error as ReportQuery.ArgumentProblem {
                throw APIError.badRequest(error.message)
            }
            let location = request.queryString("location")
            if let location, let problem = InputRules.identifierProblem(location, name: "location") {
                throw APIError.badRequest(problem)
            }
            let report = try await store.anomalies(since: arguments.since, location: location, budget: arguments.budget)
            switch request.queryString("format") ?? "json" {
            case "csv": return try Self.render(report.table, format: "csv")
            case "json":
                return try AnomalyResponse(
                    since: ISODate.text(report.since), budget: report.budget, scored: report.scored,
                    fittedOn: report.fittedOn,
                    items: report.flagged.map { movement in
                        .init(
                            rank: movement.rank, op: movement.op.description, sku: movement.key.sku,
                            location: movement.key.location, kind: movement.kind, quantity: movement.quantity,
                            occurredAt: ISODate.text(movement.occurredAt), actor: movement.actor,
                            device: movement.device, score: (movement.score * 10_000).rounded() / 10_000,
                            reason: movement.reason,
                            review: movement.review.map {
                                .init(verdict: $0.verdict.rawValue, by: $0.by, note: $0.note)
                            })
                    }
                ).response(from: request, context: context)
            default: throw APIError.badRequest("query parameter 'format' must be json or csv")
            }
        }
        writes.post("anomalies/review") { request, context -> ReviewResponse in
            let body = try await RequestDecoding.json(ReviewInput.self, from: request)
            guard let op = OpID(body.op) else {
                throw InputError("invalid_value", "op must be an op id like store-1:1234")
            }
            guard let verdict = AnomalyReview.Verdict(rawValue: body.verdict) else {
                throw InputError("invalid_value", "verdict must be shrinkage or explained")
            }
            if let note = body.note,
                note.isEmpty || note.utf8.count > 200 || note.contains(where: { ";=\n\r\t".contains($0) })
            {
                throw InputError("invalid_value", "note must be 1-200 characters without ; = or line breaks")
            }
            let by = context.principal!.actorName
            do {
                let record = try await store.reviewAnomaly(
                    op, review: AnomalyReview(by: by, verdict: verdict, note: body.note), actor: by)
                return ReviewResponse(
                    op: op.description, verdict: verdict.rawValue, by: by, note: body.note,
                    setAt: Timestamps.iso(record.stamp.hlc))
            } catch StoreError.invalid(_, let message) {
                throw APIError(.notFound, "unknown_op", message)
            }
        }
    }

    struct ExplainResponse: ResponseEncodable {
        struct Movement: Encodable {
            var op: String
            var kind: String
            var quantity: Int64
            var occurredAt: String
            var writtenAt: String
            var actor: String
            var device: String?

            enum CodingKeys: String, CodingKey {
                case op, kind, quantity, actor, device
                case occurredAt = "occurred_at", writtenAt = "written_at"
            }

            init(_ movement: StockExplanation.Movement) {
                op = movement.op.description
                kind = movement.kind
                quantity = movement.quantity
                occurredAt = ISODate.text(movement.occurredAt)
                writtenAt = ISODate.text(movement.writtenAt)
                actor = movement.actor
                device = movement.device
            }
        }
        struct Contribution: Encodable {
            var document: String
            var state: String
            var quantity: Int64
        }
        var sku: String
        var location: String
        var asOf: String?
        var onHand: Int64
        var states: StockStatesResponse?
        var winningCount: Movement?
        var countCut: [String: UInt64]?
        var coveredByCount: Int
        var coveredUnits: Int64
        var onTop: [Movement]
        var onTopCount: Int
        var onTopUnits: Int64
        var supersededCounts: [Movement]
        var documents: [Contribution]
        var arithmetic: [String]

        enum CodingKeys: String, CodingKey {
            case sku, location, states, arithmetic, documents
            case asOf = "as_of", onHand = "on_hand", winningCount = "winning_count", countCut = "count_cut"
            case coveredByCount = "covered_by_count", coveredUnits = "covered_units", onTop = "on_top"
            case onTopCount = "on_top_count", onTopUnits = "on_top_units", supersededCounts = "superseded_counts"
        }
    }

    struct StockStatesResponse: Encodable {
        var onHand, available, committed, held, unavailable, incoming, inTransit, projected: Int64

        enum CodingKeys: String, CodingKey {
            case available, committed, held, unavailable, incoming, projected
            case onHand = "on_hand", inTransit = "in_transit"
        }
    }

    func registerExplain(on group: RouterGroup<StockroomRequestContext>) {
        // The route's parameter is named as GET /v1/stock/{code} names it (one router
        // trie); here it must be the SKU.
        group.get("stock/:code/explain") { request, context -> ExplainResponse in
            let sku = try context.pathParameter("code")
            let location = request.queryString("location") ?? store.homeLocation
            for (value, name) in [(sku, "sku"), (location, "location")] {
                if let problem = InputRules.identifierProblem(value, name: name) { throw APIError.badRequest(problem) }
            }
            var asOf: UInt64?
            if let text = request.queryString("as_of") {
                guard let millis = ISODate.millis(text) else {
                    throw APIError.badRequest("as_of must be an ISO-8601 date or time like 2025-03-01T18:00:00Z")
                }
                // A date alone means the end of that day.
                asOf = text.utf8.count == 10 ? millis + 43_199_999 : millis
            }
            _ = try await store.item(sku: sku, includeDeleted: true)  // 404 unknown_code when there is none
            let explanation = try await store.explain(StockKey(sku: sku, location: location), asOf: asOf)
            return ExplainResponse(
                sku: sku, location: location, asOf: asOf.map(ISODate.text), onHand: explanation.onHand,
                states: explanation.states.map {
                    .init(
                        onHand: $0.onHand, available: $0.available, committed: $0.committed, held: $0.held,
                        unavailable: $0.unavailable, incoming: $0.incoming, inTransit: $0.inTransit,
                        projected: $0.projected)
                },
                winningCount: explanation.winningCount.map(ExplainResponse.Movement.init),
                countCut: explanation.winningCut.map { cut in
                    Dictionary(uniqueKeysWithValues: cut.sortedEntries.map { ($0.0.rawValue, $0.1) })
                },
                coveredByCount: explanation.coveredOps, coveredUnits: explanation.coveredUnits,
                onTop: explanation.onTop.map(ExplainResponse.Movement.init), onTopCount: explanation.onTopCount,
                onTopUnits: explanation.onTopUnits,
                supersededCounts: explanation.supersededCounts.map(ExplainResponse.Movement.init),
                documents: explanation.contributions.map {
                    .init(document: $0.document, state: $0.state, quantity: $0.quantity)
                },
                arithmetic: explanation.arithmetic)
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
