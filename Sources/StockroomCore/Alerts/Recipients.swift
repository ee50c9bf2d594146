/// Who hears about alerts, by which channel, and how often (section 11.7). Configured on
/// the delivering node (`--notify FILE`), not replicated: addresses and secrets stay where
/// the messages are sent from.
public struct AlertRecipient: Hashable, Sendable {
    public enum Channel: String, CaseIterable, Hashable, Sendable {
        case email, sms, webhook, slack
    }

    /// Messages go out at once, or gathered into one digest per hour or per day.
    public enum Digest: String, CaseIterable, Hashable, Sendable {
        case immediate, hourly, daily
    }

    public var id: String
    public var channel: Channel
    /// An e-mail address, a phone number (E.164), or an http(s) URL.
    public var address: String
    /// The recipient's role (buyer, store_manager, …): shown in messages and the outbox.
    public var role: String?
    /// Empty: every location.
    public var locations: Set<String>
    /// Empty: every category.
    public var categories: Set<String>
    public var kinds: Set<AlertKind>
    public var digest: Digest

    public init(
        id: String, channel: Channel, address: String, role: String? = nil, locations: Set<String> = [],
        categories: Set<String> = [], kinds: Set<AlertKind> = Set(AlertKind.allCases), digest: Digest = .immediate
    ) {
        self.id = id
        self.channel = channel
        self.address = address
        self.role = role
        self.locations = locations
        self.categories = categories
        self.kinds = kinds
        self.digest = digest
    }

    /// Whether an alert of `kind` at a cell of `category` at `location` goes to this
    /// recipient. A location filter matches the location and its sub-locations.
    public func wants(_ kind: AlertKind, location: String, category: String?) -> Bool {
        guard kinds.contains(kind) else { return false }
        if !locations.isEmpty,
            !locations.contains(where: { location == $0 || location.hasPrefix($0 + "/") })
        {
            return false
        }
        if !categories.isEmpty { return category.map { categories.contains($0) } ?? false }
        return true
    }

    /// Why `address` does not suit `channel`, or nil.
    public static func addressProblem(_ address: String, channel: Channel) -> String? {
        switch channel {
        case .email:
            return isEmail(address) ? nil : "'\(address.prefix(80))' is not an e-mail address like buyer@chain.example"
        case .sms:
            let digits = address.dropFirst()
            return address.hasPrefix("+") && (8...15).contains(digits.count) && digits.allSatisfy(\.isASCII)
                && digits.allSatisfy(\.isNumber)
                ? nil : "'\(address.prefix(80))' is not a phone number in E.164 form like +15551234567"
        case .webhook, .slack:
            return isHTTPURL(address) ? nil : "'\(address.prefix(80))' is not an http:// or https:// URL"
        }
    }

    /// One address: local part, `@`, a domain with a dot; printable ASCII, no spaces.
    public static func isEmail(_ text: String) -> Bool {
        guard text.utf8.count <= 254, InputRules.isIdentifier(text) || text.utf8.count > 64,
            text.utf8.allSatisfy({ $0 > 32 && $0 < 127 }), !text.contains(",") && !text.contains("<")
        else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { return false }
        return true
    }

    public static func isHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard text.utf8.count <= 2048, text.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return false }
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = lower.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return !host.isEmpty && !host.hasPrefix(":")
        }
        return false
    }
}

/// When a message for a recipient falls due (section 11.7).
public enum DigestSchedule {
    static let hour: UInt64 = 3_600_000
    static let day: UInt64 = 86_400_000

    /// Immediate: now. Hourly: the next top of the hour. Daily: the next `dailyHourUTC`
    /// o'clock, UTC. A message created exactly on a boundary waits for the next one, so a
    /// digest never holds a single message by accident of timing.
    public static func dueAt(_ now: UInt64, digest: AlertRecipient.Digest, dailyHourUTC: UInt64 = 7) -> UInt64 {
        switch digest {
        case .immediate: return now
        case .hourly: return (now / hour + 1) * hour
        case .daily:
            let offset = (dailyHourUTC % 24) * hour
            let today = (now / day) * day + offset
            return today > now ? today : today + day
        }
    }
}

/// Retry with backoff and jitter (section 11.7).
public enum DeliveryBackoff {
    /// After this many attempts a message that still fails is dead.
    public static let maxAttempts = 12

    /// The wait before attempt `attempt + 1`: 30 s doubling to at most 1 h, times a jitter
    /// in [0.8, 1.2) drawn by the caller (`jitter` in [0, 1)).
    public static func delayMillis(afterAttempt attempt: Int, jitter: Double, baseMillis: UInt64 = 30_000) -> UInt64 {
        let exponent = min(max(attempt - 1, 0), 7)
        let plain = min(baseMillis << UInt64(exponent), 3_600_000)
        return UInt64(Double(plain) * (0.8 + 0.4 * min(max(jitter, 0), 0.999_999)))
    }
}
