import Foundation
import Hummingbird
import StockroomCore
import StockroomNotify
import StockroomStore

/// Alerts and their rules (sync-protocol section 11): `GET /v1/alerts`,
/// `GET /v1/alerts/{id}`, `POST /v1/alerts/{id}/ack|snooze`, `GET|PUT|DELETE
/// /v1/alert-rules`, `PUT /v1/alert-delivery/{location}`.
struct AlertRoutes {
    let store: StockroomStore

    struct RuleInput: Decodable {
        var kind: String?
        var sku: String?
        var category: String?
        var location: String?
        var state: String?
        var threshold: Int64?
        var hysteresis: Int64?
        var enabled: Bool?

        /// The register key the fields name, or a 422 that says which field is wrong.
        func key() throws -> AlertRuleKey {
            guard let kind = AlertKind(rawValue: kind ?? "low") else {
                throw InputError("invalid_value", "kind must be low or out")
            }
            if sku != nil && category != nil { throw InputError("invalid_value", "name a sku or a category, not both") }
            let scope: AlertScope
            if let sku {
                if let problem = InputRules.identifierProblem(sku, name: "sku") {
                    throw InputError("invalid_value", problem)
                }
                scope = .item(sku)
            } else if let category {
                guard let parsed = AlertScope("category:\(category)") else {
                    throw InputError("invalid_value", "category must be 1-100 bytes of text on one line, without '|'")
                }
                scope = parsed
            } else {
                scope = .chain
            }
            if let location, location != "*", let problem = InputRules.identifierProblem(location, name: "location") {
                throw InputError("invalid_value", problem)
            }
            return AlertRuleKey(kind: kind, scope: scope, location: location == "*" ? nil : location)
        }

        func rule(kind: AlertKind) throws -> AlertRule {
            if enabled == false { return AlertRule(threshold: 0, enabled: false) }
            guard let state = WatchedState(rawValue: state ?? "available") else {
                throw InputError("invalid_value", "state must be available, on_hand or projected")
            }
            guard let threshold = threshold ?? (kind == .out ? 0 : nil) else {
                throw InputError("invalid_value", "a low-stock rule needs a threshold (0 or more units)")
            }
            let rule = AlertRule(state: state, threshold: threshold, hysteresis: hysteresis ?? 0)
            if let problem = AlertRule.parse(rule.text).problem { throw InputError("invalid_value", problem) }
            return rule
        }
    }

    struct RuleResponse: ResponseEncodable {
        var kind: String
        var sku: String?
        var category: String?
        var location: String
        var state: String?
        var threshold: Int64?
        var hysteresis: Int64?
        var enabled: Bool
        var key: String
        var setBy: String
        var setAt: String

        enum CodingKeys: String, CodingKey {
            case kind, sku, category, location, state, threshold, hysteresis, enabled, key
            case setBy = "set_by", setAt = "set_at"
        }

        init?(_ record: SettingRecord) {
            guard let key = AlertRuleKey(record.key), let rule = record.value.flatMap({ AlertRule.parse($0).value })
            else { return nil }
            kind = key.kind.rawValue
            if case .item(let sku) = key.scope { self.sku = sku }
            if case .category(let name) = key.scope { category = name }
            location = key.location ?? "*"
            enabled = rule.enabled
            if rule.enabled {
                state = rule.state.rawValue
                threshold = rule.threshold
                hysteresis = rule.hysteresis
            }
            self.key = record.key
            setBy = record.stamp.origin.rawValue
            setAt = Timestamps.iso(record.stamp.hlc)
        }
    }

    struct RulesResponse: ResponseEncodable {
        var items: [RuleResponse]
    }

    struct DeliveryResponse: ResponseEncodable {
        var recipient: String
        var channel: String
        var status: String
        var attempts: Int
        var lastError: String?
        var id: String

        enum CodingKeys: String, CodingKey {
            case recipient, channel, status, attempts, id
            case lastError = "last_error"
        }
    }

    struct EpisodeResponse: ResponseEncodable {
        var id: String
        var kind: String
        var sku: String
        var location: String
        var rule: String
        var state: String
        var threshold: Int64
        var valueAtCrossing: Int64
        var value: Int64
        var crossingOp: String
        var openedAt: String
        var closedAt: String?
        var status: String
        var acknowledged: Bool
        var snoozedUntil: String?
        var daysOfCover: Double?
        var unitsSold28d: Int64
        var forecastDaily: Double?
        var forecastModel: String?
        var deliveries: [DeliveryResponse]

        enum CodingKeys: String, CodingKey {
            case id, kind, sku, location, rule, state, threshold, value, status, acknowledged, deliveries
            case valueAtCrossing = "value_at_crossing", crossingOp = "crossing_op", openedAt = "opened_at"
            case closedAt = "closed_at", snoozedUntil = "snoozed_until", daysOfCover = "days_of_cover"
            case unitsSold28d = "units_sold_28d", forecastDaily = "forecast_daily", forecastModel = "forecast_model"
        }

        init(_ record: AlertEpisodeRecord) {
            id = record.id
            kind = record.kind.rawValue
            sku = record.key.sku
            location = record.key.location
            rule = record.rule
            state = record.state
            threshold = record.threshold
            valueAtCrossing = record.openedValue
            value = record.value
            crossingOp = record.crossing.description
            openedAt = Timestamps.iso(HLC(millis: record.openedAt))
            closedAt = record.closedAt.map { Timestamps.iso(HLC(millis: $0)) }
            status = record.closedAt != nil ? "recovered" : record.acknowledged ? "acknowledged" : "open"
            acknowledged = record.acknowledged
            snoozedUntil = record.snoozedUntil.map { Timestamps.iso(HLC(millis: $0)) }
            daysOfCover = record.daysOfCover
            unitsSold28d = record.unitsSold
            forecastDaily = record.forecastDaily.map { ($0 * 10_000).rounded() / 10_000 }
            forecastModel = record.forecastModel
            deliveries = record.deliveries.map {
                DeliveryResponse(
                    recipient: $0.recipient, channel: $0.channel.rawValue, status: $0.status, attempts: $0.attempts,
                    lastError: $0.lastError, id: $0.id)
            }
        }
    }

    struct EpisodesResponse: ResponseEncodable {
        var items: [EpisodeResponse]
    }

    struct SnoozeInput: Decodable {
        var hours: Double?
        var until: String?
    }

    struct DeliveryNodeInput: Decodable {
        var node: String?
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("alerts") { request, _ -> EpisodesResponse in
            let open: Bool?
            switch request.queryString("status") ?? "open" {
            case "open": open = true
            case "recovered", "closed": open = false
            case "all": open = nil
            default: throw APIError.badRequest("query parameter 'status' must be open, recovered or all")
            }
            let episodes = try await store.alertEpisodes(
                open: open, location: request.queryString("location"), sku: request.queryString("sku"),
                limit: try request.queryInt("limit", default: 100, range: 1...1000))
            return EpisodesResponse(items: episodes.map(EpisodeResponse.init))
        }
        group.get("alerts/:id") { _, context -> EpisodeResponse in
            EpisodeResponse(try await find(try context.pathParameter("id")))
        }
        group.get("alert-rules") { _, _ -> RulesResponse in
            RulesResponse(items: try await store.settings(.alertRule).compactMap(RuleResponse.init))
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        group.put("alert-rules") { request, context -> RuleResponse in
            let body = try await RequestDecoding.json(RuleInput.self, from: request)
            let key = try body.key()
            let rule = try body.rule(kind: key.kind)
            let record = try await store.setSetting(
                Setting(namespace: .alertRule, key: key.description, value: rule.text),
                actor: context.principal!.actorName)
            return RuleResponse(record)!
        }
        group.delete("alert-rules") { request, context -> Response in
            let key = try RuleInput(
                kind: request.queryString("kind"), sku: request.queryString("sku"),
                category: request.queryString("category"), location: request.queryString("location")
            ).key()
            guard try await store.setting(.alertRule, key.description)?.value != nil else {
                throw APIError(.notFound, "not_found", "no alert rule \(key); GET /v1/alert-rules lists them")
            }
            try await store.setSetting(
                Setting(namespace: .alertRule, key: key.description, value: nil), actor: context.principal!.actorName)
            return Response(status: .noContent)
        }
        group.post("alerts/:id/ack") { _, context -> EpisodeResponse in
            let episode = try await find(try context.pathParameter("id"))
            try await store.setSetting(
                Setting(namespace: .alertAction, key: episode.id, value: AlertAction(acknowledged: true).text),
                actor: context.principal!.actorName)
            return EpisodeResponse(try await find(episode.id))
        }
        group.post("alerts/:id/snooze") { request, context -> EpisodeResponse in
            let episode = try await find(try context.pathParameter("id"))
            let body = try await RequestDecoding.json(SnoozeInput.self, from: request)
            let now = store.wallClockMillis()
            let until: UInt64
            if let hours = body.hours {
                guard hours > 0, hours <= 24 * 90 else {
                    throw InputError("invalid_value", "hours must be more than 0 and at most 2160 (90 days)")
                }
                until = now + UInt64(hours * 3_600_000)
            } else if let text = body.until, let date = ISO8601DateFormatter().date(from: text) {
                guard date.timeIntervalSince1970 * 1000 > Double(now) else {
                    throw InputError("invalid_value", "until must be in the future")
                }
                until = UInt64(date.timeIntervalSince1970 * 1000)
            } else {
                throw InputError("invalid_value", "send hours (e.g. 24) or until (ISO-8601, e.g. 2026-12-01T08:00:00Z)")
            }
            try await store.setSetting(
                Setting(
                    namespace: .alertAction, key: AlertAction.Target.cell(episode.kind, episode.key).key,
                    value: AlertAction(snoozedUntil: until).text), actor: context.principal!.actorName)
            return EpisodeResponse(try await find(episode.id))
        }
    }

    func registerAdmin(on group: RouterGroup<StockroomRequestContext>) {
        group.put("alert-delivery/:location") { request, context -> Response in
            let location = try context.pathParameter("location")
            if let problem = InputRules.identifierProblem(location, name: "location") {
                throw InputError("invalid_value", problem)
            }
            let body = try await RequestDecoding.json(DeliveryNodeInput.self, from: request)
            if let node = body.node, NodeID(node) == nil {
                throw InputError("invalid_value", "node must be a node id (or null: the hub delivers)")
            }
            try await store.setSetting(
                Setting(namespace: .alertDelivery, key: location, value: body.node),
                actor: context.principal!.actorName)
            return Response(status: .noContent)
        }
    }

    func find(_ id: String) async throws -> AlertEpisodeRecord {
        guard AlertAction.Target(id) != nil, case .episode = AlertAction.Target(id),
            let episode = try await store.alertEpisodes(id: id, limit: 1).first
        else {
            throw APIError(.notFound, "not_found", "no alert '\(id.prefix(64))'; GET /v1/alerts lists them")
        }
        return episode
    }
}
