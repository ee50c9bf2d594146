/// A reorder rule for one item at one location (sync-protocol section 11.5), after Odoo's
/// (min, max, multiple, lead days, route, snooze) with a safety stock.
public struct ReorderRule: Hashable, Sendable {
    /// How the location is replenished.
    public enum Route: Hashable, Sendable, CustomStringConvertible {
        /// Buy from the rule's supplier; a transfer from an overstocked location is still
        /// preferred when one has the units.
        case buy
        /// Always transfer from this location.
        case transfer(from: String)

        public var description: String {
            switch self {
            case .buy: "buy"
            case .transfer(let from): "transfer:\(from)"
            }
        }

        public init?(_ text: String) {
            if text == "buy" {
                self = .buy
            } else if text.hasPrefix("transfer:"), InputRules.isIdentifier(String(text.dropFirst(9))) {
                self = .transfer(from: String(text.dropFirst(9)))
            } else {
                return nil
            }
        }
    }

    /// The reorder point: replenish when the position falls below min + safety.
    public var min: Int64
    /// Order up to max + safety.
    public var max: Int64
    /// Quantities are rounded up to a multiple of this (a case, a pallet layer).
    public var multiple: Int64
    /// Days from order to receipt; nil takes the supplier's lead time.
    public var leadDays: Int64?
    public var safety: Int64
    public var supplier: String?
    public var route: Route
    /// Automatic rules are turned into draft documents by the background pass; manual
    /// ones only suggest.
    public var automatic: Bool
    /// No suggestion before this time (milliseconds since the epoch).
    public var snoozedUntil: UInt64?

    public init(
        min: Int64, max: Int64, multiple: Int64 = 1, leadDays: Int64? = nil, safety: Int64 = 0,
        supplier: String? = nil, route: Route = .buy, automatic: Bool = false, snoozedUntil: UInt64? = nil
    ) {
        self.min = min
        self.max = max
        self.multiple = multiple
        self.leadDays = leadDays
        self.safety = safety
        self.supplier = supplier
        self.route = route
        self.automatic = automatic
        self.snoozedUntil = snoozedUntil
    }

    public var text: String {
        var fields = SettingFields()
        fields["min"] = String(min)
        fields["max"] = String(max)
        fields["multiple"] = String(multiple)
        fields["lead_days"] = leadDays.map(String.init)
        fields["safety"] = String(safety)
        fields["supplier"] = supplier
        fields["route"] = route.description
        fields["trigger"] = automatic ? "auto" : "manual"
        fields["snooze_until"] = snoozedUntil.map(String.init)
        return fields.text
    }

    /// Reads a register's text; refuses max < min, negative numbers, a multiple below 1.
    public static func parse(_ text: String) -> Parsed<ReorderRule> {
        guard let fields = SettingFields(text) else { return .invalid("a reorder rule is name=value;… text") }
        let known: Set = [
            "min", "max", "multiple", "lead_days", "safety", "supplier", "route", "trigger", "snooze_until",
        ]
        if let unknown = fields.values.keys.sorted().first(where: { !known.contains($0) }) {
            return .invalid("a reorder rule has no field '\(unknown)'; fields: \(known.sorted().joined(separator: ", "))")
        }
        let units = 0...InputRules.maxQuantity
        do {
            guard let min = try fields.integer("min", in: units, default: nil).get() else {
                return .invalid("a reorder rule needs min (the reorder point, 0 or more units)")
            }
            guard let max = try fields.integer("max", in: units, default: nil).get() else {
                return .invalid("a reorder rule needs max (the order-up-to level)")
            }
            guard max >= min else { return .invalid("max (\(max)) must be at least min (\(min))") }
            let multiple = try fields.integer("multiple", in: 1...InputRules.maxQuantity, default: 1).get() ?? 1
            let lead = try fields.integer("lead_days", in: 0...365, default: nil).get()
            let safety = try fields.integer("safety", in: units, default: 0).get() ?? 0
            if let supplier = fields["supplier"], let problem = InputRules.identifierProblem(supplier, name: "supplier")
            {
                return .invalid(problem)
            }
            guard let route = Route(fields["route"] ?? "buy") else {
                return .invalid("route must be buy or transfer:LOCATION")
            }
            guard let trigger = fields["trigger"].map({ ["auto": true, "manual": false][$0] }) ?? false else {
                return .invalid("trigger must be auto or manual")
            }
            let snooze = try fields.integer("snooze_until", in: 0...Int64.max, default: nil).get()
            return .value(
                ReorderRule(
                    min: min, max: max, multiple: multiple, leadDays: lead, safety: safety, supplier: fields["supplier"],
                    route: route, automatic: trigger, snoozedUntil: snooze.map { UInt64($0) }))
        } catch {
            return .invalid((error as? SettingFields.Problem)?.message ?? "\(error)")
        }
    }
}

/// A reorder rule register's key: `SKU|LOCATION`.
public struct ReorderRuleKey: Hashable, Sendable, CustomStringConvertible {
    public var cell: StockKey

    public init(_ cell: StockKey) { self.cell = cell }

    public init?(_ text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2, InputRules.isIdentifier(String(parts[0])), InputRules.isIdentifier(String(parts[1]))
        else { return nil }
        cell = StockKey(sku: String(parts[0]), location: String(parts[1]))
    }

    public var location: String { cell.location }
    public var description: String { "\(cell.sku)|\(cell.location)" }
}
