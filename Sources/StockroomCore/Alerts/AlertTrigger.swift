/// Crossing detection with hysteresis, and the identity of an alert episode (sync-protocol
/// section 11.2). Pure: the store calls it after every op that touches a watched cell.
public enum AlertTrigger {
    /// What one observation of a cell's watched value does to its alert.
    public enum Transition: Hashable, Sendable {
        /// Armed, and the value is at or below the threshold: an episode opens.
        case fire
        /// An episode is open and the value is above threshold + hysteresis: it closes and
        /// the rule re-arms.
        case rearm
        case none
    }

    /// - Parameters:
    ///   - open: whether an episode of this rule is open at the cell.
    ///   - value: the watched state after the op.
    public static func next(open: Bool, value: Int64, rule: AlertRule) -> Transition {
        if !open { return value <= rule.threshold ? .fire : .none }
        // Saturating: a threshold near the maximum must not wrap.
        let (rearmAbove, overflow) = rule.threshold.addingReportingOverflow(rule.hysteresis)
        return !overflow && value > rearmAbove ? .rearm : .none
    }

    /// The episode's id, derived from the rule kind, the cell and the op after which the
    /// value was first seen at or below the threshold: every node that applies the cell's
    /// ops in the same order derives the same id (section 11.2). FNV-1a, 64 bits, in hex
    /// after `ep-`: stable, short, and safe in a URL path.
    public static func episodeID(kind: AlertKind, key: StockKey, crossing: OpID) -> String {
        let text = "\(kind.rawValue)\u{1F}\(key.sku)\u{1F}\(key.location)\u{1F}\(crossing.origin)\u{1F}\(crossing.seq)"
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "ep-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Days of cover: how long the stock lasts at the recent rate of sale (section 11.3).
public enum DaysOfCover {
    /// The window of recent sales the rate is taken over.
    public static let windowDays: Int64 = 28

    /// `available / (units sold in the window / window days)`, to one decimal, rounded
    /// down (a buyer should not be told there is more time than there is). Nil when nothing
    /// sold in the window (cover is unbounded); 0 when nothing is available.
    public static func days(available: Int64, unitsSold: Int64, windowDays: Int64 = windowDays) -> Double? {
        guard unitsSold > 0, windowDays > 0 else { return nil }
        guard available > 0 else { return 0 }
        // Tenths of a day, in integers: available × window × 10 / sold.
        let tenths = available.multipliedReportingOverflow(by: windowDays * 10)
        guard !tenths.overflow else { return Double(available) * Double(windowDays) / Double(unitsSold) }
        return Double(tenths.partialValue / unitsSold) / 10
    }

    /// `available / forecast units a day`, to one decimal, rounded down; nil when the
    /// forecast is no demand.
    public static func days(available: Int64, dailyForecast: Double) -> Double? {
        guard dailyForecast > 0 else { return nil }
        guard available > 0 else { return 0 }
        return (Double(available) / dailyForecast * 10).rounded(.down) / 10
    }

    /// The daily rate of sale over the window, in units per day.
    public static func dailyRate(unitsSold: Int64, windowDays: Int64 = windowDays) -> Double {
        windowDays > 0 && unitsSold > 0 ? Double(unitsSold) / Double(windowDays) : 0
    }
}

/// An acknowledgement or a snooze (section 11.4): an `alert_action` register.
///
/// - `ep-…` keys: `ack=1` acknowledges an episode: what is still undelivered of it is not
///   sent, and it shows as acknowledged.
/// - `KIND|SKU|LOCATION` keys: `until=MILLIS` snoozes a cell's alerts of that kind: new
///   episodes open and are listed, but no message is sent before the time.
public struct AlertAction: Hashable, Sendable {
    public var acknowledged: Bool
    public var snoozedUntil: UInt64?

    public init(acknowledged: Bool = false, snoozedUntil: UInt64? = nil) {
        self.acknowledged = acknowledged
        self.snoozedUntil = snoozedUntil
    }

    public var text: String {
        var fields = SettingFields()
        if acknowledged { fields["ack"] = "1" }
        if let snoozedUntil { fields["until"] = String(snoozedUntil) }
        return fields.text
    }

    public static func parse(_ text: String) -> Parsed<AlertAction> {
        guard let fields = SettingFields(text), !fields.values.isEmpty else {
            return .invalid("an alert action is ack=1 or until=MILLIS")
        }
        var action = AlertAction()
        for (name, value) in fields.values {
            switch name {
            case "ack":
                guard value == "1" else { return .invalid("ack must be 1") }
                action.acknowledged = true
            case "until":
                guard let until = UInt64(value), until <= UInt64(Int64.max) else {
                    return .invalid("until must be milliseconds since the epoch")
                }
                action.snoozedUntil = until
            default: return .invalid("an alert action has no field '\(name)'; fields: ack, until")
            }
        }
        return .value(action)
    }

    /// What an `alert_action` key names.
    public enum Target: Hashable, Sendable {
        case episode(String)
        case cell(AlertKind, StockKey)

        public init?(_ text: String) {
            if text.hasPrefix("ep-"), text.utf8.count == 19, text.dropFirst(3).allSatisfy(\.isHexDigit) {
                self = .episode(text)
                return
            }
            let parts = text.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 3, let kind = AlertKind(rawValue: String(parts[0])),
                InputRules.isIdentifier(String(parts[1])), InputRules.isIdentifier(String(parts[2]))
            else { return nil }
            self = .cell(kind, StockKey(sku: String(parts[1]), location: String(parts[2])))
        }

        public var key: String {
            switch self {
            case .episode(let id): id
            case .cell(let kind, let key): "\(kind.rawValue)|\(key.sku)|\(key.location)"
            }
        }
    }
}
