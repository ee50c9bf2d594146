import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Settings → Stock rules (admin only): the chain's defaults for low-stock alerts (chain-wide
/// and per category, with per-item overrides), reorder rules per item and location, and the
/// allowance policy (what a sales channel may promise). Each form is read by the same input
/// type as its `/v1` route (`PUT /v1/alert-rules`, `PUT /v1/reorder-rules`,
/// `PUT /v1/allowance-policies`) and written as the same setting op, so it replicates.
extension WebSite {
    /// Rows of each table shown at once; a filter by SKU finds the rest.
    static let rulesShown = 100

    func registerStockRules(admin: RouterGroup<StockroomRequestContext>) {
        admin.get("settings/rules") { request, context in try await stockRules(request, context) }
        admin.post("settings/rules/alert") { request, context -> Response in
            let form = context.form
            return try await changeRule(request, context) {
                let input = AlertRoutes.RuleInput(
                    kind: form["kind"], sku: Self.field(form["sku"]), category: Self.field(form["category"]),
                    location: Self.field(form["location"]) ?? "*", state: form["state"],
                    threshold: try Self.number(form, "threshold", "The threshold"),
                    hysteresis: try Self.number(form, "hysteresis", "The hysteresis"))
                let key = try input.key()
                let rule = try input.rule(kind: key.kind)
                try await store.setSetting(
                    Setting(namespace: .alertRule, key: key.description, value: rule.text),
                    actor: context.principal!.actorName)
                return
                    "Alert rule saved: \(key.kind.rawValue) stock for \(key.scope) at \(key.location ?? "every location")."
            }
        }
        admin.post("settings/rules/alert/remove") { request, context -> Response in
            let form = context.form
            return try await changeRule(request, context) {
                guard let key = AlertRuleKey(form["key"] ?? "") else {
                    throw InputError("invalid_value", "That rule no longer exists; reload the page.")
                }
                try await store.setSetting(
                    Setting(namespace: .alertRule, key: key.description, value: nil),
                    actor: context.principal!.actorName)
                return "Alert rule removed: \(key.kind.rawValue) stock for \(key.scope)."
            }
        }
        admin.post("settings/rules/reorder") { request, context -> Response in
            let form = context.form
            return try await changeRule(request, context) {
                let input = ReplenishmentRoutes.RuleInput(
                    sku: form["sku"]?.trimmingCharacters(in: .whitespaces) ?? "",
                    location: form["location"]?.trimmingCharacters(in: .whitespaces) ?? "",
                    min: try Self.number(form, "min", "Min") ?? 0, max: try Self.number(form, "max", "Max") ?? 0,
                    multiple: try Self.number(form, "multiple", "The multiple"),
                    leadDays: try Self.number(form, "lead_days", "Lead days"),
                    safety: try Self.number(form, "safety", "Safety stock"), supplier: Self.field(form["supplier"]),
                    route: Self.field(form["route"]), trigger: form["trigger"],
                    serviceLevel: try Self.number(form, "service_percent", "The service level").map {
                        Double($0) / 100
                    })
                let rule = try await input.rule(store: store)
                let key = ReorderRuleKey(StockKey(sku: input.sku, location: input.location))
                try await store.setSetting(
                    Setting(namespace: .reorderRule, key: key.description, value: rule.text),
                    actor: context.principal!.actorName)
                return "Reorder rule saved for \(input.sku) at \(input.location)."
            }
        }
        admin.post("settings/rules/reorder/remove") { request, context -> Response in
            let form = context.form
            return try await changeRule(request, context) {
                let key = ReorderRuleKey(StockKey(sku: form["sku"] ?? "", location: form["location"] ?? ""))
                try await store.setSetting(
                    Setting(namespace: .reorderRule, key: key.description, value: nil),
                    actor: context.principal!.actorName)
                return "Reorder rule removed for \(key.cell.sku) at \(key.cell.location)."
            }
        }
        admin.post("settings/rules/allowance") { request, context -> Response in
            let form = context.form
            return try await changeRule(request, context) {
                let policy = try AllowanceRoutes.PolicyInput(
                    scope: Self.field(form["scope"]) ?? "*", channel: form["channel"] ?? "",
                    sharePercent: try Self.number(form, "share_percent", "The share") ?? -1,
                    keep: try Self.number(form, "keep", "Keep")
                ).policy()
                try await store.setAllowancePolicy(policy, actor: context.principal!.actorName)
                return "Allowance policy saved for \(policy.channel.rawValue) on \(policy.scope)."
            }
        }
    }

    /// Runs one change; a refusal shows the page again with its message and the form as
    /// it was sent, anything else goes to the error page.
    func changeRule(
        _ request: Request, _ context: StockroomRequestContext, _ change: () async throws -> String
    ) async throws -> Response {
        do {
            return redirect("/settings/rules?done=" + Self.queryEscape(try await change()))
        } catch let refusal as any WebRefusal {
            return try await stockRules(request, context, error: refusal.shown, form: context.form)
        }
    }

    /// A form field, nil when blank.
    static func field(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// A whole number from a form field, nil when blank.
    static func number(_ form: [String: String], _ name: String, _ label: String) throws -> Int64? {
        guard let text = field(form[name]) else { return nil }
        guard let value = Int64(text) else { throw InputError("invalid_value", "\(label) must be a whole number.") }
        return value
    }

    func stockRules(
        _ request: Request, _ context: StockroomRequestContext, error: String? = nil, form: [String: String]? = nil
    ) async throws -> Response {
        let filter = request.uri.queryParameters["sku"].map(String.init).flatMap(Self.field)
        let alertRules = try await store.settings(.alertRule).compactMap(AlertRoutes.RuleResponse.init)
            .filter { filter == nil || $0.sku == nil || $0.sku == filter }
            .sorted {
                ($0.sku != nil ? 2 : $0.category != nil ? 1 : 0, $0.key) < (
                    $1.sku != nil ? 2 : $1.category != nil ? 1 : 0, $1.key
                )
            }
        let reorderRules = try await store.settings(.reorderRule).compactMap(ReplenishmentRoutes.RuleResponse.init)
            .filter { filter == nil || $0.sku == filter }
        let policies = try await store.allowancePolicies()
        // A store sets rules for its own location (chain-wide ones are the hub's, rule V7).
        let values = form ?? ["location": role == "hub" ? "" : store.homeLocation, "trigger": "manual", "kind": "low"]
        var fields: [String: Any] = [
            "tabs": Self.settingsTabs("rules"),
            "filter": filter ?? "",
            "alertRules": alertRules.prefix(Self.rulesShown).map { rule -> [String: Any] in
                [
                    "key": rule.key, "kind": rule.kind,
                    "scope": rule.sku.map { "item \($0)" } ?? rule.category.map { "category \($0)" } ?? "every item",
                    "location": rule.location == "*" ? "every location" : rule.location,
                    "watch": rule.enabled
                        ? "\(rule.state ?? "available") at or below \(rule.threshold ?? 0)"
                            + ((rule.hysteresis ?? 0) > 0
                                ? ", re-arms above \((rule.threshold ?? 0) + (rule.hysteresis ?? 0))" : "")
                        : "off",
                    "set": rule.setAt.prefix(16).replacingOccurrences(of: "T", with: " ") + " by " + rule.setBy,
                ]
            },
            "alertRuleCount": alertRules.count, "rulesShown": Self.rulesShown,
            "alertRulesCut": alertRules.count > Self.rulesShown,
            "reorderRules": reorderRules.prefix(Self.rulesShown).map { rule -> [String: Any] in
                [
                    "sku": rule.sku, "skuPath": Self.path(rule.sku), "location": rule.location, "min": rule.min,
                    "max": rule.max,
                    "multiple": rule.multiple, "lead": rule.leadDays.map(String.init) ?? "supplier's",
                    "safety": rule.safety,
                    "service": rule.serviceLevel.map { "\(Int(($0 * 100).rounded()))%" } ?? "min/max",
                    "supplier": rule.supplier ?? "", "route": rule.route, "trigger": rule.trigger,
                ]
            },
            "reorderRuleCount": reorderRules.count,
            "reorderRulesCut": reorderRules.count > Self.rulesShown,
            "policies": policies.map { policy -> [String: Any] in
                [
                    "scope": policy.scope.description == "*" ? "every item" : policy.scope.description,
                    "channel": policy.channel.rawValue, "share": policy.sharePercent, "keep": policy.keep,
                ]
            },
            "form": values,
            "kindOptions": ["low", "out"].map { ["value": $0, "selected": (values["kind"] ?? "low") == $0] },
            "stateOptions": WatchedState.allCases.map {
                ["value": $0.rawValue, "selected": (values["state"] ?? "available") == $0.rawValue]
            },
            "triggerOptions": [("manual", "suggest only"), ("auto", "draft documents automatically")].map {
                ["value": $0.0, "label": $0.1, "selected": (values["trigger"] ?? "manual") == $0.0]
            },
        ]
        if let error { fields["error"] = error }
        return try await page(
            "settings-rules", fields, request: request, context: context, nav: "settings",
            status: error == nil ? .ok : .unprocessableContent)
    }
}
