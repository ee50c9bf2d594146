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
    /// A service level in per mille (e.g. 950 for 95%): when set and the cell has a demand
    /// forecast, the reorder point is lead-time demand plus the safety stock that level
    /// needs (section 12.3), instead of `min`; `max - min` stays the order quantity.
    public var servicePerMille: Int64?

    public init(
        min: Int64, max: Int64, multiple: Int64 = 1, leadDays: Int64? = nil, safety: Int64 = 0,
        supplier: String? = nil, route: Route = .buy, automatic: Bool = false, snoozedUntil: UInt64? = nil,
        servicePerMille: Int64? = nil
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
        self.servicePerMille = servicePerMille
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
        fields["service"] = servicePerMille.map(String.init)
        return fields.text
    }

    /// Reads a register's text; refuses max < min, negative numbers, a multiple below 1.
    /// One pass over the text with no dictionary: a hub parses every rule of the chain
    /// (200,000 for 10,000 items at 20 stores) per replenishment.
    public static func parse(_ text: String) -> Parsed<ReorderRule> {
        var rule = ReorderRule(min: -1, max: -1)
        var seen: UInt16 = 0  // one bit per field: each name once, min and max present
        var problem: String?
        func number(_ name: Substring, _ value: Substring, _ range: ClosedRange<Int64>) -> Int64? {
            guard let number = Int64(value), range.contains(number) else {
                problem = "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
                return nil
            }
            return number
        }
        let units = 0...InputRules.maxQuantity
        let wellFormed = SettingFields.forEachPair(text) { name, value in
            let bit: UInt16
            switch name {
            case "min": bit = 1
            case "max": bit = 2
            case "multiple": bit = 4
            case "lead_days": bit = 8
            case "safety": bit = 16
            case "snooze_until": bit = 32
            case "supplier": bit = 64
            case "route": bit = 128
            case "trigger": bit = 256
            case "service": bit = 512
            default: bit = 0
            }
            guard seen & bit == 0 else { return false }
            seen |= bit
            switch name {
            case "min": rule.min = number(name, value, units) ?? -1
            case "max": rule.max = number(name, value, units) ?? -1
            case "multiple": rule.multiple = number(name, value, 1...InputRules.maxQuantity) ?? 1
            case "lead_days": rule.leadDays = number(name, value, 0...365)
            case "safety": rule.safety = number(name, value, units) ?? 0
            case "snooze_until": rule.snoozedUntil = number(name, value, 0...Int64.max).map { UInt64($0) }
            case "supplier":
                let supplier = String(value)
                if let issue = InputRules.identifierProblem(supplier, name: "supplier") { problem = issue }
                rule.supplier = supplier
            case "route":
                guard let route = value == "buy" ? .buy : Route(String(value)) else {
                    problem = "route must be buy or transfer:LOCATION"
                    return true
                }
                rule.route = route
            case "trigger":
                guard value == "auto" || value == "manual" else {
                    problem = "trigger must be auto or manual"
                    return true
                }
                rule.automatic = value == "auto"
            case "service": rule.servicePerMille = number(name, value, 500...999)
            default:
                problem =
                    "a reorder rule has no field '\(name)'; fields: lead_days, max, min, multiple, route, safety, service, snooze_until, supplier, trigger"
            }
            return problem == nil
        }
        if let problem { return .invalid(problem) }
        guard wellFormed else { return .invalid("a reorder rule is name=value;… text, each name once") }
        guard seen & 1 != 0 else { return .invalid("a reorder rule needs min (the reorder point, 0 or more units)") }
        guard seen & 2 != 0 else { return .invalid("a reorder rule needs max (the order-up-to level)") }
        guard rule.max >= rule.min else { return .invalid("max (\(rule.max)) must be at least min (\(rule.min))") }
        return .value(rule)
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
