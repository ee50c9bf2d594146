public import Foundation
public import StockroomCore

/// Channels and recipients of alert messages: the JSON file given with `--notify FILE`
/// (config key `notify`). Secrets may be left out of the file and given in the
/// environment instead (`STOCKROOM_SMTP_PASSWORD`, `STOCKROOM_SMS_AUTH_TOKEN`,
/// `STOCKROOM_WEBHOOK_SECRET`), which win over the file. They are never logged, shown in
/// an API answer, or written to the audit trail: ``description`` redacts them.
///
///     {"email": {"url": "smtp://mail.chain.example:587", "from": "stockroom@chain.example",
///                "username": "stockroom", "password": "…", "starttls": "required"},
///      "sms": {"base_url": "https://api.twilio.com", "account": "AC…", "auth_token": "…",
///              "from": "+15550001111"},
///      "webhook": {"secret": "whsec_…"},
///      "digest_hour_utc": 7,
///      "recipients": [{"id": "buyer-dairy", "channel": "email", "to": "dairy@chain.example",
///                      "role": "buyer", "categories": ["Dairy"], "digest": "hourly"}]}
public struct NotifyConfiguration: Sendable, CustomStringConvertible {
    public struct Email: Sendable {
        public var url: String
        public var from: String
        public var username: String?
        public var password: String?
        /// never, try (STARTTLS when offered), required.
        public var startTLS: String
        public var caFile: String?
        public var timeoutSeconds: Double
    }

    public struct SMS: Sendable {
        public var baseURL: String
        public var account: String
        public var authToken: String
        public var from: String
    }

    public var email: Email?
    public var sms: SMS?
    /// The Standard Webhooks signing secret (`whsec_` + base64 of the key bytes).
    public var webhookSecret: [UInt8]?
    public var recipients: [AlertRecipient]
    public var dailyDigestHourUTC: UInt64
    /// Per HTTP or SMTP attempt.
    public var timeoutSeconds: Double
    /// The first retry's wait; it doubles per failure up to an hour (tests shorten it).
    public var retryBaseSeconds: Double = 30

    public init(
        email: Email? = nil, sms: SMS? = nil, webhookSecret: [UInt8]? = nil, recipients: [AlertRecipient] = [],
        dailyDigestHourUTC: UInt64 = 7, timeoutSeconds: Double = 10
    ) {
        self.email = email
        self.sms = sms
        self.webhookSecret = webhookSecret
        self.recipients = recipients
        self.dailyDigestHourUTC = dailyDigestHourUTC
        self.timeoutSeconds = timeoutSeconds
    }

    /// The channels this configuration can send through: Slack always (an incoming-webhook
    /// URL needs nothing more), the others when their section is present.
    public var channels: Set<AlertRecipient.Channel> {
        var channels: Set<AlertRecipient.Channel> = [.slack]
        if email != nil { channels.insert(.email) }
        if sms != nil { channels.insert(.sms) }
        if webhookSecret != nil { channels.insert(.webhook) }
        return channels
    }

    public var description: String {
        var parts: [String] = []
        if let email {
            parts.append("email via \(email.url) as \(email.from)\(email.password == nil ? "" : " (password set)")")
        }
        if let sms { parts.append("sms via \(sms.baseURL) account \(sms.account) (auth token set)") }
        if webhookSecret != nil { parts.append("webhooks signed (secret set)") }
        parts.append("\(recipients.count) recipient(s)")
        return parts.joined(separator: "; ")
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads and checks the file; every error names what to fix. `environment` supplies the
    /// secrets that are not in the file.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> NotifyConfiguration
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid("cannot read the notify file \(path): it does not exist or this user may not read it")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Invalid("the notify file \(path) is not a JSON object")
        }
        return try parse(object, source: "the notify file \(path)", environment: environment)
    }

    static func parse(
        _ object: [String: Any], source: String, environment: [String: String]
    ) throws
        -> NotifyConfiguration
    {
        func invalid(_ message: String) -> Invalid { Invalid("\(source): \(message)") }
        try checkKeys(
            object,
            [
                "email", "sms", "webhook", "recipients", "digest_hour_utc", "timeout_seconds", "retry_base_seconds",
            ], invalid)
        var config = NotifyConfiguration()
        if let timeout = object["timeout_seconds"] {
            guard let seconds = timeout as? Double, (0.1...300).contains(seconds) else {
                throw invalid("'timeout_seconds' must be 0.1 to 300")
            }
            config.timeoutSeconds = seconds
        }
        if let base = object["retry_base_seconds"] {
            guard let seconds = base as? Double, (0.1...3600).contains(seconds) else {
                throw invalid("'retry_base_seconds' must be 0.1 to 3600")
            }
            config.retryBaseSeconds = seconds
        }
        if let hour = object["digest_hour_utc"] {
            guard let hour = hour as? Int, (0...23).contains(hour) else {
                throw invalid("'digest_hour_utc' must be 0 to 23")
            }
            config.dailyDigestHourUTC = UInt64(hour)
        }
        if let email = object["email"] {
            guard let email = email as? [String: Any] else { throw invalid("'email' must be an object") }
            try checkKeys(email, ["url", "from", "username", "password", "starttls", "ca_file"], invalid)
            guard let url = email["url"] as? String, url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else {
                throw invalid("'email.url' must be smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT")
            }
            guard let from = email["from"] as? String, AlertRecipient.isEmail(from) else {
                throw invalid("'email.from' must be the sender's address, like stockroom@chain.example")
            }
            let startTLS = email["starttls"] as? String ?? "required"
            guard ["never", "try", "required"].contains(startTLS) else {
                throw invalid("'email.starttls' must be never, try or required")
            }
            config.email = Email(
                url: url, from: from, username: email["username"] as? String,
                password: environment["STOCKROOM_SMTP_PASSWORD"] ?? email["password"] as? String,
                startTLS: startTLS, caFile: email["ca_file"] as? String, timeoutSeconds: config.timeoutSeconds)
        }
        if let sms = object["sms"] {
            guard let sms = sms as? [String: Any] else { throw invalid("'sms' must be an object") }
            try checkKeys(sms, ["base_url", "account", "auth_token", "from"], invalid)
            guard let base = sms["base_url"] as? String, AlertRecipient.isHTTPURL(base) else {
                throw invalid("'sms.base_url' must be the gateway's http(s) URL, like https://api.twilio.com")
            }
            guard let account = sms["account"] as? String, InputRules.isIdentifier(account) else {
                throw invalid("'sms.account' must be the gateway's account id (AC…)")
            }
            guard let token = environment["STOCKROOM_SMS_AUTH_TOKEN"] ?? sms["auth_token"] as? String, !token.isEmpty
            else { throw invalid("'sms.auth_token' (or STOCKROOM_SMS_AUTH_TOKEN) is needed") }
            guard let from = sms["from"] as? String, AlertRecipient.addressProblem(from, channel: .sms) == nil else {
                throw invalid("'sms.from' must be a phone number in E.164 form like +15550001111")
            }
            config.sms = SMS(baseURL: base, account: account, authToken: token, from: from)
        }
        let webhook = object["webhook"] as? [String: Any]
        if let secret = environment["STOCKROOM_WEBHOOK_SECRET"] ?? webhook?["secret"] as? String {
            guard let key = StandardWebhooks.key(fromSecret: secret) else {
                throw invalid("the webhook secret must be whsec_ followed by base64 of 24 to 64 random bytes")
            }
            config.webhookSecret = key
        }
        guard let list = object["recipients"] as? [[String: Any]] else {
            throw invalid("'recipients' must be a list of objects (id, channel, to, …)")
        }
        var seen: Set<String> = []
        for (index, entry) in list.enumerated() {
            func bad(_ message: String) -> Invalid { invalid("recipient \(index + 1): \(message)") }
            try checkKeys(entry, ["id", "channel", "to", "role", "locations", "categories", "alerts", "digest"], bad)
            guard let id = entry["id"] as? String, InputRules.isIdentifier(id), !id.contains("/") else {
                throw bad("'id' must be an identifier without '/'")
            }
            guard seen.insert(id).inserted else { throw bad("id '\(id)' is used twice") }
            guard let channel = (entry["channel"] as? String).flatMap(AlertRecipient.Channel.init(rawValue:)) else {
                throw bad("'channel' must be email, sms, webhook or slack")
            }
            guard let address = entry["to"] as? String else { throw bad("'to' is missing") }
            if let problem = AlertRecipient.addressProblem(address, channel: channel) { throw bad(problem) }
            switch channel {
            case .email where config.email == nil: throw bad("channel email needs the 'email' section")
            case .sms where config.sms == nil: throw bad("channel sms needs the 'sms' section")
            case .webhook where config.webhookSecret == nil:
                throw bad("channel webhook needs 'webhook.secret' (or STOCKROOM_WEBHOOK_SECRET)")
            default: break
            }
            func strings(_ key: String) throws -> Set<String> {
                guard let value = entry[key] else { return [] }
                guard let list = value as? [String] else { throw bad("'\(key)' must be a list of strings") }
                return Set(list)
            }
            var kinds = Set(AlertKind.allCases)
            if entry["alerts"] != nil {
                kinds = []
                for name in try strings("alerts") {
                    guard let kind = AlertKind(rawValue: name) else { throw bad("'alerts' may hold low and out") }
                    kinds.insert(kind)
                }
            }
            guard let digest = AlertRecipient.Digest(rawValue: entry["digest"] as? String ?? "immediate") else {
                throw bad("'digest' must be immediate, hourly or daily")
            }
            config.recipients.append(
                AlertRecipient(
                    id: id, channel: channel, address: address, role: entry["role"] as? String,
                    locations: try strings("locations"), categories: try strings("categories"), kinds: kinds,
                    digest: digest))
        }
        return config
    }

    private static func checkKeys(_ object: [String: Any], _ known: Set<String>, _ invalid: (String) -> Invalid) throws
    {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw invalid("unknown key '\(unknown.prefix(64))'; known keys: \(known.sorted().joined(separator: ", "))")
        }
    }
}
