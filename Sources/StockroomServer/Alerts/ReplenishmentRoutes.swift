import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Reorder rules and replenishment (sync-protocol sections 11.5 and 11.6):
/// `GET|PUT|DELETE /v1/reorder-rules`, `GET /v1/replenishment`,
/// `POST /v1/replenishment/apply`, `POST /v1/purchase-orders/{id}/email`.
struct ReplenishmentRoutes {
    let store: StockroomStore

    struct RuleInput: Decodable {
        var sku: String
        var location: String
        var min: Int64
        var max: Int64
        var multiple: Int64?
        var leadDays: Int64?
        var safety: Int64?
        var supplier: String?
        var route: String?
        var trigger: String?
        var snoozeUntil: String?
        /// 0.5 to 0.999: the reorder point becomes lead-time demand plus safety stock.
        var serviceLevel: Double?

        enum CodingKeys: String, CodingKey {
            case sku, location, min, max, multiple, safety, supplier, route, trigger
            case leadDays = "lead_days", snoozeUntil = "snooze_until", serviceLevel = "service_level"
        }

        /// The rule the fields describe, or a 422 (a 404-like refusal for an unknown
        /// supplier) naming what is wrong. The core's parser is the one judge of a rule.
        func rule(store: StockroomStore) async throws -> ReorderRule {
            for (value, name) in [(sku, "sku"), (location, "location")] {
                if let problem = InputRules.identifierProblem(value, name: name) {
                    throw InputError("invalid_value", problem)
                }
            }
            if let supplier = supplier {
                guard try await store.supplier(supplier) != nil else {
                    throw DocumentRefusal(
                        code: .unknownSupplier,
                        message: "no supplier '\(supplier.prefix(64))'; create it with POST /v1/suppliers first")
                }
            }
            var snooze: UInt64?
            if let text = snoozeUntil {
                guard let date = ISO8601DateFormatter().date(from: text) else {
                    throw InputError("invalid_value", "snooze_until must be an ISO-8601 time like 2026-12-01T08:00:00Z")
                }
                snooze = UInt64(Swift.max(0, date.timeIntervalSince1970 * 1000))
            }
            var fields = SettingFields()
            fields["min"] = String(min)
            fields["max"] = String(max)
            fields["multiple"] = multiple.map(String.init) ?? "1"
            fields["lead_days"] = leadDays.map(String.init)
            fields["safety"] = String(safety ?? 0)
            fields["supplier"] = supplier
            fields["route"] = route ?? "buy"
            fields["trigger"] = trigger ?? "manual"
            fields["snooze_until"] = snooze.map(String.init)
            if let level = serviceLevel {
                guard (0.5...0.999).contains(level) else {
                    throw InputError("invalid_value", "service_level must be 0.5 to 0.999 (0.95 is 95%)")
                }
                fields["service"] = String(Int64((level * 1000).rounded()))
            }
            // The core's parser is the one judge of a rule (max < min, negative, bad route).
            let parsed = ReorderRule.parse(fields.text)
            guard let rule = parsed.value else { throw InputError("invalid_value", parsed.problem ?? "invalid rule") }
            if case .transfer(let from) = rule.route, from == location {
                throw InputError("invalid_value", "a location cannot be replenished by a transfer from itself")
            }
            return rule
        }
    }

    struct RuleResponse: ResponseEncodable {
        var sku: String
        var location: String
        var min: Int64
        var max: Int64
        var multiple: Int64
        var leadDays: Int64?
        var safety: Int64
        var supplier: String?
        var route: String
        var trigger: String
        var snoozeUntil: String?
        var serviceLevel: Double?
        var setAt: String

        enum CodingKeys: String, CodingKey {
            case sku, location, min, max, multiple, safety, supplier, route, trigger
            case leadDays = "lead_days", snoozeUntil = "snooze_until", setAt = "set_at", serviceLevel = "service_level"
        }

        init?(_ record: SettingRecord) {
            guard let key = ReorderRuleKey(record.key), let rule = record.value.flatMap({ ReorderRule.parse($0).value })
            else { return nil }
            sku = key.cell.sku
            location = key.cell.location
            min = rule.min
            max = rule.max
            multiple = rule.multiple
            leadDays = rule.leadDays
            safety = rule.safety
            supplier = rule.supplier
            route = rule.route.description
            trigger = rule.automatic ? "auto" : "manual"
            snoozeUntil = rule.snoozedUntil.map { Timestamps.iso(HLC(millis: $0)) }
            serviceLevel = rule.servicePerMille.map { Double($0) / 1000 }
            setAt = Timestamps.iso(record.stamp.hlc)
        }
    }

    struct RulesResponse: ResponseEncodable {
        var items: [RuleResponse]
    }

    struct SuggestionResponse: Encodable {
        var sku: String
        var location: String
        var action: String
        var supplier: String?
        var from: String?
        var quantity: Int64
        var position: Int64
        var reorderPoint: Int64
        var orderUpTo: Int64
        var erpnextQuantity: Int64
        var trigger: String
        var arithmetic: [String]
        var dataAgeSeconds: [String: Int64?]
        /// The demand forecast used (units a day, and the model), when there was one.
        var forecastDaily: Double?
        var forecastModel: String?

        enum CodingKeys: String, CodingKey {
            case sku, location, action, supplier, from, quantity, position, trigger, arithmetic
            case reorderPoint = "reorder_point", orderUpTo = "order_up_to", erpnextQuantity = "erpnext_quantity"
            case dataAgeSeconds = "data_age_seconds", forecastDaily = "forecast_daily", forecastModel = "forecast_model"
        }

        init(_ suggestion: ReplenishmentPlanner.Suggestion, staleness: [String: ReplenishmentReport.Staleness]) {
            sku = suggestion.key.sku
            location = suggestion.key.location
            switch suggestion.action {
            case .purchase(let name):
                action = "purchase"
                supplier = name
            case .transfer(let source):
                action = "transfer"
                from = source
            }
            quantity = suggestion.quantity
            position = suggestion.position
            reorderPoint = suggestion.reorderPoint
            orderUpTo = suggestion.orderUpTo
            erpnextQuantity = suggestion.erpnextQuantity
            trigger = suggestion.automatic ? "auto" : "manual"
            arithmetic = suggestion.arithmetic
            forecastDaily = suggestion.forecast.map { ($0.daily * 10_000).rounded() / 10_000 }
            forecastModel = suggestion.forecast?.model
            var ages: [String: Int64?] = [:]
            for place in [suggestion.key.location] + suggestion.sources {
                ages[place] = staleness[place]?.ageSeconds
            }
            dataAgeSeconds = ages
        }
    }

    struct ReportResponse: ResponseEncodable {
        var items: [SuggestionResponse]
        var cells: Int
        var computedMs: Int64
        var staleness: [String: StalenessResponse]

        enum CodingKeys: String, CodingKey {
            case items, cells, staleness
            case computedMs = "computed_ms"
        }
    }

    struct StalenessResponse: Encodable {
        var lastReceivedAt: String?
        var ageSeconds: Int64?
        var own: Bool

        enum CodingKeys: String, CodingKey {
            case own
            case lastReceivedAt = "last_received_at", ageSeconds = "age_seconds"
        }
    }

    struct ApplyInput: Decodable {
        var location: String?
        var skus: [String]?
    }

    struct ApplyResponse: ResponseEncodable {
        var created: [DocumentResponse]
        var skipped: [Skipped]

        struct Skipped: Encodable {
            var sku: String
            var location: String
            var quantity: Int64
            var reason: String
        }
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("reorder-rules") { request, _ -> RulesResponse in
            let location = request.queryString("location")
            let sku = request.queryString("sku")
            return RulesResponse(
                items: try await store.settings(.reorderRule).compactMap(RuleResponse.init).filter {
                    (location == nil || $0.location == location) && (sku == nil || $0.sku == sku)
                })
        }
        group.get("replenishment") { request, _ -> ReportResponse in
            let report = try await store.replenishment(location: request.queryString("location"))
            return ReportResponse(
                items: report.suggestions.map { SuggestionResponse($0, staleness: report.staleness) },
                cells: report.cells, computedMs: report.computedMillis,
                staleness: report.staleness.mapValues {
                    StalenessResponse(
                        lastReceivedAt: $0.lastReceivedAt.map { Timestamps.iso(HLC(millis: $0)) },
                        ageSeconds: $0.ageSeconds, own: $0.isOwn)
                })
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        group.put("reorder-rules") { request, context -> RuleResponse in
            let body = try await RequestDecoding.json(RuleInput.self, from: request)
            let rule = try await body.rule(store: store)
            let key = ReorderRuleKey(StockKey(sku: body.sku, location: body.location))
            let record = try await store.setSetting(
                Setting(namespace: .reorderRule, key: key.description, value: rule.text),
                actor: context.principal!.actorName)
            return RuleResponse(record)!
        }
        group.delete("reorder-rules") { request, context -> Response in
            guard let sku = request.queryString("sku"), let location = request.queryString("location") else {
                throw APIError.badRequest("name the rule with ?sku=…&location=…")
            }
            let key = ReorderRuleKey(StockKey(sku: sku, location: location))
            guard try await store.setting(.reorderRule, key.description)?.value != nil else {
                throw APIError(
                    .notFound, "not_found", "no reorder rule for \(sku.prefix(64)) at \(location.prefix(64))")
            }
            try await store.setSetting(
                Setting(namespace: .reorderRule, key: key.description, value: nil), actor: context.principal!.actorName)
            return Response(status: .noContent)
        }
        group.post("replenishment/apply") { request, context -> ApplyResponse in
            let body = try await RequestDecoding.json(ApplyInput.self, from: request)
            let applied = try await store.applyReplenishment(
                location: body.location, skus: body.skus.map(Set.init), actor: context.principal!.actorName)
            return ApplyResponse(
                created: applied.created.map { DocumentResponse(record: $0, now: store.wallClockMillis()) },
                skipped: applied.skipped.map {
                    .init(
                        sku: $0.suggestion.key.sku, location: $0.suggestion.key.location,
                        quantity: $0.suggestion.quantity, reason: $0.reason)
                })
        }
        group.post("purchase-orders/:id/email") { _, context -> NotificationRoutes.MessageResponse in
            let (_, message) = try await store.emailPurchaseOrder(
                try context.pathParameter("id"), actor: context.principal!.actorName)
            return NotificationRoutes.MessageResponse(message, attempts: [])
        }
    }
}
