/// A chain setting that every node must see alike (issue #13): alert rules, reorder rules,
/// acknowledgements and snoozes, and which node delivers a location's alerts. Each
/// (namespace, key) is a last-writer-wins register, like a catalogue field (rule C1), set
/// by op kind `setting` (sync-protocol section 11). A nil value clears the register.
///
/// The value is text of the form `name=value;name=value` with names in ascending order,
/// so one setting has one spelling on every node; ``SettingFields`` reads and writes it and
/// each namespace's type says what it must hold.
public struct Setting: Hashable, Sendable {
    public var namespace: SettingNamespace
    public var key: String
    public var value: String?

    public init(namespace: SettingNamespace, key: String, value: String?) {
        self.namespace = namespace
        self.key = key
        self.value = value
    }

    /// The location this setting is about, for rule V7: nil for chain-wide settings (`*`),
    /// which only the hub writes. Acknowledgements and snoozes are not about a location's
    /// stock: any node may write them.
    public var location: String? {
        switch namespace {
        case .alertRule: AlertRuleKey(key)?.location
        case .reorderRule: ReorderRuleKey(key)?.location
        case .alertDelivery: key
        case .alertAction, .anomalyReview, .conflictResolution: nil
        }
    }

    /// The first sync protocol version that decodes this setting: its namespace's, and 4
    /// for a reorder rule with a service level (a node of protocol 3 refuses the field).
    public var protocolVersion: Int {
        if namespace == .reorderRule, let value, value.contains("service=") { return 4 }
        return namespace.protocolVersion
    }

    /// Whether only the hub (or a store for its own locations) may write this setting.
    /// Acknowledgements, snoozes and reviews are judgements about something a node sees,
    /// not settings of a location: any node may write them.
    public var isLocationScoped: Bool {
        namespace != .alertAction && namespace != .anomalyReview && namespace != .conflictResolution
    }

    /// Rule V13: the key and the value have the shape their namespace documents.
    public var problem: String? {
        guard InputRules.isLabel(key, maxLength: InputRules.maxNameLength) else {
            return "a setting key is 1-\(InputRules.maxNameLength) bytes of text on one line"
        }
        switch namespace {
        case .alertRule:
            guard AlertRuleKey(key) != nil else {
                return
                    "an alert rule key is KIND|SCOPE|LOCATION: low or out, item:SKU, category:NAME or *, a location or *"
            }
            if let value { return AlertRule.parse(value).problem }
        case .reorderRule:
            guard ReorderRuleKey(key) != nil else { return "a reorder rule key is SKU|LOCATION" }
            if let value { return ReorderRule.parse(value).problem }
        case .alertAction:
            guard AlertAction.Target(key) != nil else {
                return "an alert action key is an episode id (ep-…) or a snooze target KIND|SKU|LOCATION"
            }
            if let value { return AlertAction.parse(value).problem }
        case .alertDelivery:
            guard InputRules.isIdentifier(key) else { return "an alert delivery key is a location" }
            if let value, NodeID(value) == nil { return "an alert delivery value is a node id" }
        case .anomalyReview:
            guard OpID(key) != nil else { return "an anomaly review key is the movement's op id (origin:seq)" }
            if let value { return AnomalyReview.parse(value).problem }
        case .conflictResolution:
            guard ConflictResolution.Key(key) != nil else {
                return
                    "a conflict resolution key is KIND|IDENTITY: the conflict's kind and identity (GET /v1/conflicts)"
            }
            if let value { return ConflictResolution.parse(value).problem }
        }
        return nil
    }
}

/// Stable namespace codes for the wire and the database; never renumber.
public enum SettingNamespace: UInt8, CaseIterable, Hashable, Sendable {
    case alertRule = 1
    case reorderRule = 2
    case alertAction = 3
    case alertDelivery = 4
    /// A loss-prevention review of a flagged movement (section 12.4), keyed by its op id.
    case anomalyReview = 5
    /// A person's resolution of a conflict (section 13), keyed by the conflict's identity.
    case conflictResolution = 6

    public var name: String {
        switch self {
        case .alertRule: "alert_rule"
        case .reorderRule: "reorder_rule"
        case .alertAction: "alert_action"
        case .alertDelivery: "alert_delivery"
        case .anomalyReview: "anomaly_review"
        case .conflictResolution: "conflict_resolution"
        }
    }

    /// The first sync protocol version that decodes this namespace: a node of protocol 3
    /// refuses a batch holding a namespace it does not know, so it is never sent one.
    public var protocolVersion: Int {
        switch self {
        case .anomalyReview: 4
        case .conflictResolution: 5
        default: 3
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

/// The `name=value;…` text of a setting, parsed. Names are lower-case identifiers; values
/// hold no `;` or `=` and no control characters.
public struct SettingFields: Hashable, Sendable {
    public private(set) var values: [String: String] = [:]

    public init() {}

    /// Nil when the text is not a well-formed list.
    public init?(_ text: String) {
        var values: [String: String] = [:]
        let wellFormed = Self.forEachPair(text) { name, value in
            values.updateValue(String(value), forKey: String(name)) == nil
        }
        guard wellFormed else { return nil }
        self.values = values
    }

    /// Calls `body` with each `name=value` pair of `text` in order, without building a
    /// dictionary (a hub reads 200,000 reorder rules per replenishment). Returns false when
    /// the text is not a well-formed list or `body` refused a pair.
    public static func forEachPair(_ text: String, _ body: (Substring, Substring) -> Bool) -> Bool {
        guard !text.isEmpty else { return true }
        var rest = text[...]
        while true {
            let end = rest.utf8.firstIndex(of: UInt8(ascii: ";")) ?? rest.endIndex
            let part = rest[..<end]
            guard let equals = part.utf8.firstIndex(of: UInt8(ascii: "=")), equals != part.startIndex,
                body(part[..<equals], part[part.utf8.index(after: equals)...])
            else { return false }
            if end == rest.endIndex { return true }
            rest = rest[rest.utf8.index(after: end)...]
        }
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set {
            if let newValue, !newValue.isEmpty { values[name] = newValue } else { values[name] = nil }
        }
    }

    /// The canonical spelling: names in ascending order.
    public var text: String { values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }

    /// A value may not hold the separators.
    public static func isValue(_ text: String) -> Bool {
        !text.isEmpty && !text.contains(";") && !text.contains("=") && InputRules.isLabel(text)
    }

    /// A whole number in `range`, or a problem.
    func integer(_ name: String, in range: ClosedRange<Int64>, default fallback: Int64?) -> Result<Int64?, Problem> {
        guard let text = values[name] else { return .success(fallback) }
        guard let number = Int64(text), range.contains(number) else {
            return .failure(Problem("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
        }
        return .success(number)
    }

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}

/// A parsed setting value, or why it is not one.
public enum Parsed<Value: Sendable>: Sendable {
    case value(Value)
    case invalid(String)

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    public var problem: String? {
        if case .invalid(let problem) = self { return problem }
        return nil
    }
}

/// A reviewer's verdict on a flagged movement (namespace `anomaly_review`, section 12.4):
/// `by=NAME;verdict=shrinkage|explained[;note=TEXT]`. Last writer wins, so a second
/// reviewer can overturn the first.
public struct AnomalyReview: Hashable, Sendable {
    public enum Verdict: String, CaseIterable, Sendable {
        /// The movement was loss: theft, fraud or an error that cost stock.
        case shrinkage
        /// The movement has an innocent explanation (a recount, a known breakage).
        case explained
    }

    public var by: String
    public var verdict: Verdict
    public var note: String?

    public init(by: String, verdict: Verdict, note: String? = nil) {
        self.by = by
        self.verdict = verdict
        self.note = note
    }

    public var text: String {
        var fields = SettingFields()
        fields["by"] = by
        fields["verdict"] = verdict.rawValue
        if let note { fields["note"] = note }
        return fields.text
    }

    public static func parse(_ text: String) -> Parsed<AnomalyReview> {
        guard let fields = SettingFields(text), let by = fields["by"], let verdictText = fields["verdict"] else {
            return .invalid("an anomaly review is by=NAME;verdict=shrinkage|explained[;note=TEXT]")
        }
        guard let verdict = Verdict(rawValue: verdictText) else {
            return .invalid("verdict must be one of: shrinkage, explained")
        }
        for name in fields.values.keys where !["by", "verdict", "note"].contains(name) {
            return .invalid("an anomaly review has no field '\(name)'; fields: by, verdict, note")
        }
        return .value(AnomalyReview(by: by, verdict: verdict, note: fields["note"]))
    }
}

/// A person's resolution of a conflict (namespace `conflict_resolution`, section 13):
/// `by=NAME;reason=TEXT`, keyed `KIND|IDENTITY` as the conflict is identified on every
/// node. It closes the conflict in every list; it
/// changes no stock (a count does that). Last writer wins; a nil value reopens it.
public struct ConflictResolution: Hashable, Sendable {
    public static let maxReasonLength = 200

    /// `KIND|IDENTITY`: the conflict's kind (lower-case letters and `_`) and its identity as
    /// every node stores it (the op ids that raised it, or a document issue's
    /// `kind:id/code/sku`). The whole key is a setting key: at most 200 bytes of text.
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        public var kind: String
        public var identity: String

        public init(kind: String, identity: String) {
            self.kind = kind
            self.identity = identity
        }

        public init?(_ text: String) {
            guard let bar = text.firstIndex(of: "|") else { return nil }
            let kind = text[..<bar]
            let identity = text[text.index(after: bar)...]
            guard (1...40).contains(kind.utf8.count), kind.utf8.allSatisfy({ (97...122).contains($0) || $0 == 95 }),
                !identity.isEmpty
            else { return nil }
            self.kind = String(kind)
            self.identity = String(identity)
        }

        public var description: String { "\(kind)|\(identity)" }
    }

    public var by: String
    public var reason: String

    public init(by: String, reason: String) {
        self.by = by
        self.reason = reason
    }

    public var text: String {
        var fields = SettingFields()
        fields["by"] = by
        fields["reason"] = reason
        return fields.text
    }

    public static func parse(_ text: String) -> Parsed<ConflictResolution> {
        guard let fields = SettingFields(text), let by = fields["by"], let reason = fields["reason"] else {
            return .invalid("a conflict resolution is by=NAME;reason=TEXT")
        }
        guard !reason.isEmpty, reason.utf8.count <= maxReasonLength else {
            return .invalid("a conflict resolution's reason is 1-\(maxReasonLength) bytes")
        }
        for name in fields.values.keys where !["by", "reason"].contains(name) {
            return .invalid("a conflict resolution has no field '\(name)'; fields: by, reason")
        }
        return .value(ConflictResolution(by: by, reason: reason))
    }
}
