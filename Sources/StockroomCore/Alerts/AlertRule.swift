/// Low-stock and out-of-stock alert rules (sync-protocol section 11.1).
///
/// A rule watches one state of a cell (available by default) and fires when it falls to or
/// below its threshold; it re-arms only once the state is above threshold + hysteresis
/// (``AlertTrigger``). Rules are set per item, per category or chain-wide, each for one
/// location or for every location (`*`); the most specific one that exists decides
/// (``AlertRuleBook``). A rule with `enabled=0` switches alerts off for its scope.
public struct AlertRule: Hashable, Sendable {
    public var state: WatchedState
    public var threshold: Int64
    public var hysteresis: Int64
    public var enabled: Bool

    public init(state: WatchedState = .available, threshold: Int64, hysteresis: Int64 = 0, enabled: Bool = true) {
        self.state = state
        self.threshold = threshold
        self.hysteresis = hysteresis
        self.enabled = enabled
    }

    /// The register's text: `enabled=0` or `hysteresis=H;state=S;threshold=T`.
    public var text: String {
        var fields = SettingFields()
        if enabled {
            fields["state"] = state.rawValue
            fields["threshold"] = String(threshold)
            fields["hysteresis"] = String(hysteresis)
        } else {
            fields["enabled"] = "0"
        }
        return fields.text
    }

    /// Reads a register's text. Thresholds and hysteresis are 0 to 1,000,000 units.
    public static func parse(_ text: String) -> Parsed<AlertRule> {
        guard let fields = SettingFields(text) else { return .invalid("an alert rule is name=value;… text") }
        let known: Set = ["state", "threshold", "hysteresis", "enabled"]
        if let unknown = fields.values.keys.sorted().first(where: { !known.contains($0) }) {
            return .invalid("an alert rule has no field '\(unknown)'; fields: state, threshold, hysteresis, enabled")
        }
        if fields["enabled"] == "0" { return .value(AlertRule(threshold: 0, enabled: false)) }
        if let enabled = fields["enabled"], enabled != "1" { return .invalid("enabled must be 0 or 1") }
        guard let state = WatchedState(rawValue: fields["state"] ?? "available") else {
            return .invalid("state must be available, on_hand or projected")
        }
        switch (
            fields.integer("threshold", in: 0...InputRules.maxQuantity, default: nil),
            fields.integer("hysteresis", in: 0...InputRules.maxQuantity, default: 0)
        ) {
        case (.failure(let problem), _), (_, .failure(let problem)): return .invalid(problem.message)
        case (.success(nil), _): return .invalid("an alert rule needs a threshold (0 or more units)")
        case (.success(let threshold?), .success(let hysteresis)):
            return .value(AlertRule(state: state, threshold: threshold, hysteresis: hysteresis ?? 0))
        }
    }
}

/// The state of a cell a rule watches.
public enum WatchedState: String, CaseIterable, Hashable, Sendable {
    case available
    case onHand = "on_hand"
    case projected

    public func value(of states: StockStates) -> Int64 {
        switch self {
        case .available: states.available
        case .onHand: states.onHand
        case .projected: states.projected
        }
    }
}

/// Low stock (at or below a threshold) or out of stock (at or below zero, by default).
public enum AlertKind: String, CaseIterable, Hashable, Sendable {
    case low, out
}

/// Where a rule applies: an item, a category, or the whole chain.
public enum AlertScope: Hashable, Sendable, CustomStringConvertible {
    case item(String)
    case category(String)
    case chain

    public init?(_ text: String) {
        if text == "*" {
            self = .chain
        } else if text.hasPrefix("item:"), InputRules.isIdentifier(String(text.dropFirst(5))) {
            self = .item(String(text.dropFirst(5)))
        } else if text.hasPrefix("category:"), InputRules.isLabel(String(text.dropFirst(9)), maxLength: 100),
            !text.contains("|")
        {
            self = .category(String(text.dropFirst(9)))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .item(let sku): "item:\(sku)"
        case .category(let name): "category:\(name)"
        case .chain: "*"
        }
    }
}

/// An alert rule register's key: `KIND|SCOPE|LOCATION`, e.g. `low|category:Dairy|*`.
public struct AlertRuleKey: Hashable, Sendable, CustomStringConvertible {
    public var kind: AlertKind
    public var scope: AlertScope
    /// Nil: every location.
    public var location: String?

    public init(kind: AlertKind, scope: AlertScope, location: String?) {
        self.kind = kind
        self.scope = scope
        self.location = location
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let kind = AlertKind(rawValue: String(parts[0])),
            let scope = AlertScope(String(parts[1]))
        else { return nil }
        let location = String(parts[2])
        guard location == "*" || InputRules.isIdentifier(location) else { return nil }
        self.init(kind: kind, scope: scope, location: location == "*" ? nil : location)
    }

    public var description: String { "\(kind.rawValue)|\(scope)|\(location ?? "*")" }
}

/// Every alert rule a node holds, and which one applies to a cell.
public struct AlertRuleBook: Sendable {
    public private(set) var rules: [AlertRuleKey: AlertRule] = [:]

    public init(_ rules: [AlertRuleKey: AlertRule] = [:]) {
        for (key, rule) in rules { set(key, rule) }
    }

    public var isEmpty: Bool { rules.isEmpty }

    public mutating func set(_ key: AlertRuleKey, _ rule: AlertRule?) {
        rules[key] = rule
    }

    /// The rule for a cell: the first that exists of item at the location, item anywhere,
    /// the item's catalogue threshold (low only), category at the location, category
    /// anywhere, chain at the location, chain anywhere. Nil when none exists or the one
    /// found is disabled.
    ///
    /// A catalogue threshold (the item's `threshold` field) is a low rule on `available`
    /// with a hysteresis of a fifth of the threshold (at least 1), so an item that has one
    /// alerts without any rule being written: the "no alert unless someone wrote a rule"
    /// gap of other systems.
    public func rule(
        _ kind: AlertKind, sku: String, category: String?, location: String, catalogueThreshold: Int64? = nil
    ) -> (key: AlertRuleKey, rule: AlertRule)? {
        // No rule written anywhere (a chain that relies on the catalogue's thresholds): the
        // scan path pays no key lookups.
        if rules.isEmpty {
            return kind == .low ? catalogueThreshold.flatMap { Self.catalogueRule(sku: sku, threshold: $0) } : nil
        }
        for place in [location, nil] {
            let key = AlertRuleKey(kind: kind, scope: .item(sku), location: place)
            if let rule = rules[key] { return rule.enabled ? (key, rule) : nil }
        }
        if kind == .low, let threshold = catalogueThreshold,
            let rule = Self.catalogueRule(sku: sku, threshold: threshold)
        {
            return rule
        }
        var scopes: [AlertScope] = []
        if let category, !category.isEmpty { scopes.append(.category(category)) }
        scopes.append(.chain)
        for scope in scopes {
            for place in [location, nil] {
                let key = AlertRuleKey(kind: kind, scope: scope, location: place)
                if let rule = rules[key] { return rule.enabled ? (key, rule) : nil }
            }
        }
        return nil
    }

    /// An item's catalogue `threshold` as a low rule on `available`.
    static func catalogueRule(sku: String, threshold: Int64) -> (key: AlertRuleKey, rule: AlertRule)? {
        guard threshold >= 0 else { return nil }
        return (
            AlertRuleKey(kind: .low, scope: .item(sku), location: nil),
            AlertRule(threshold: threshold, hysteresis: Swift.max(1, threshold / 5))
        )
    }
}
