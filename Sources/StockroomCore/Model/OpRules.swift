/// The rules every op meets before anything of it is written, wherever it came from: a
/// scan, an API edit, an import, a push or a pull (sync-protocol/README.md, section 3.1).
///
/// A peer is authenticated, not trusted: an op that arrives through sync is held to exactly
/// what the HTTP API would have let its origin write. The checks are pure functions of the
/// op, the locations its origin may write and this node's clock bound, so a reader can
/// check them against the spec and every entry point refuses the same things.
public enum OpRules {
    /// How far ahead of the receiving node's clock a catalogue op may be stamped. Stock ops
    /// are never refused for their stamp (rule T1: a wrong clock must not lose scans), but a
    /// catalogue assignment stamped in a later year would win its register for good (a
    /// last-writer-wins register cannot be overwritten by anything stamped before it).
    /// Inside the bound, rule T1 clamps the clock and flags the op.
    public static let maxCatalogueLeadMillis: UInt64 = 24 * 3600 * 1000

    /// Checks one op. Returns the first rule it breaks, or nil.
    ///
    /// - Parameters:
    ///   - locations: where the op's origin may write stock (rule V7); `nil` skips the rule
    ///     for an op relayed by the hub, which checked it when the op entered the chain.
    ///   - wallMillis: the receiving node's clock, for the catalogue clock bound (V6).
    public static func check(_ op: Op, locations: LocationPolicy?, wallMillis: UInt64) -> OpViolation? {
        func violation(_ rule: OpRule, _ message: String) -> OpViolation {
            OpViolation(rule: rule, op: op.id, message: message)
        }
        guard op.id.seq <= UInt64(Int64.max) else { return violation(.identifier, "seq is out of range") }
        guard InputRules.isLabel(op.actor) else {
            return violation(
                .identifier, "actor must be 1-\(InputRules.maxLabelLength) bytes of text without control characters")
        }
        if let device = op.device, !InputRules.isIdentifier(device) {
            return violation(.identifier, "device must be 1-\(InputRules.maxIdentifierLength) printable ASCII bytes")
        }
        if let scanID = op.scanID, !InputRules.isIdentifier(scanID) {
            return violation(.identifier, "scan id must be 1-\(InputRules.maxIdentifierLength) printable ASCII bytes")
        }
        if let facts = op.facts, let problem = facts.problem(kind: op.payload.kind, stampMillis: op.hlc.millis) {
            return violation(.facts, problem)
        }
        if case .supplier(let assignment) = op.payload {
            if let problem = assignment.problem { return violation(.supplier, problem) }
            if op.hlc.millis > wallMillis &+ maxCatalogueLeadMillis {
                return violation(.clock, "a supplier op is stamped more than a day ahead of this node's clock")
            }
            return nil
        }
        if case .setting(let setting) = op.payload {
            if let problem = setting.problem { return violation(.setting, problem) }
            if op.hlc.millis > wallMillis &+ maxCatalogueLeadMillis {
                return violation(.clock, "a setting op is stamped more than a day ahead of this node's clock")
            }
            // Chain-wide rules and other locations' rules are the hub's; a store sets its own.
            if setting.isLocationScoped, let locations {
                guard let location = setting.location else {
                    return locations == .anywhere
                        ? nil : violation(.location, "only the hub sets chain-wide (*) \(setting.namespace.name)s")
                }
                if let problem = stockLocationProblem(location, locations) { return violation(.location, problem) }
            }
            return nil
        }
        if case .allowancePolicy(let policy) = op.payload {
            if let problem = policy.problem { return violation(.allowance, problem) }
            if op.hlc.millis > wallMillis &+ maxCatalogueLeadMillis {
                return violation(.clock, "a policy op is stamped more than a day ahead of this node's clock")
            }
            return nil
        }
        if case .event(let event) = op.payload {
            if let problem = DocumentRules.problem(with: event) { return violation(.event, problem) }
            if let problem = stockLocationProblem(event.location, locations) { return violation(.location, problem) }
            return nil
        }
        guard InputRules.isIdentifier(op.payload.sku) else {
            return violation(.identifier, "sku must be 1-\(InputRules.maxIdentifierLength) printable ASCII bytes")
        }
        switch op.payload {
        case .delta(let key, let quantity, let reason):
            if let problem = stockLocationProblem(key.location, locations) { return violation(.location, problem) }
            if case .failure(let error) = ScanAction.move(reason).unsignedQuantity(for: quantity) {
                return violation(.quantity, error.message)
            }
        case .count(let key, let counted, let context):
            if let problem = stockLocationProblem(key.location, locations) { return violation(.location, problem) }
            if case .failure(let error) = ScanAction.count.signedQuantity(counted) {
                return violation(.quantity, error.message)
            }
            if context.entries.values.contains(where: { $0 > UInt64(Int64.max) }) {
                return violation(.quantity, "a count's context holds a seq out of range")
            }
        case .itemCreate(_, let fields), .itemUpdate(_, let fields):
            if op.hlc.millis > wallMillis &+ maxCatalogueLeadMillis {
                return violation(
                    .clock,
                    "a catalogue op stamped \(op.hlc.millis) ms is more than a day ahead of this node's clock (\(wallMillis) ms); fix the origin's clock"
                )
            }
            if fields[.alive] != nil {
                return violation(.alive, "'alive' is set by item_create and item_delete only (rule C2)")
            }
            if case .itemCreate = op.payload {
                guard fields[.name] != nil else { return violation(.field, "an item_create must assign a name") }
            } else if fields.isEmpty {
                return violation(.field, "an item_update must assign at least one field")
            }
            for (field, value) in fields {
                if let problem = field.problem(with: value) { return violation(.field, "\(field.rawValue) \(problem)") }
            }
        case .unavailable(let key, let quantity):
            if let problem = stockLocationProblem(key.location, locations) { return violation(.location, problem) }
            guard quantity != 0, quantity.magnitude <= UInt64(InputRules.maxQuantity) else {
                return violation(.quantity, "an unavailable move is 1 to \(InputRules.maxQuantity) units either way")
            }
        case .allowance(let key, let channel, let quantity):
            if let problem = stockLocationProblem(key.location, locations) { return violation(.location, problem) }
            guard quantity != 0, quantity.magnitude <= UInt64(InputRules.maxQuantity) else {
                return violation(.quantity, "an allowance moves 1 to \(InputRules.maxQuantity) units")
            }
            let owner = SyncInterest.isLocation(key.location, of: op.id.origin)
            if quantity > 0, !owner || channel == op.id.origin {
                return violation(.allowance, "only the store whose location it is grants rights, to another node")
            }
            if quantity < 0, channel != op.id.origin {
                return violation(.allowance, "only the channel that holds rights returns them")
            }
        case .event, .allowancePolicy, .supplier, .setting:
            break
        case .itemDelete:
            if op.hlc.millis > wallMillis &+ maxCatalogueLeadMillis {
                return violation(.clock, "an item_delete is stamped more than a day ahead of this node's clock")
            }
        }
        return nil
    }

    /// Checks a whole batch before any of it is applied: every op
    /// (``check(_:locations:wallMillis:)``). Rule V8 (a scan id used twice, in the batch or
    /// against the ops held) needs the log: the store enforces it with its unique index
    /// while applying, in the same transaction, and refuses the whole batch.
    ///
    /// - Parameter locations: the location policy of an origin, or nil for a relayed one.
    /// - Returns: the first violation, with its index in `ops`.
    public static func checkBatch(
        _ ops: [Op], wallMillis: UInt64, locations: (NodeID) -> LocationPolicy?
    ) -> OpViolation? {
        for (index, op) in ops.enumerated() {
            if var violation = check(op, locations: locations(op.id.origin), wallMillis: wallMillis) {
                violation.index = index
                return violation
            }
        }
        return nil
    }

    private static func stockLocationProblem(_ location: String, _ policy: LocationPolicy?) -> String? {
        guard InputRules.isIdentifier(location) else {
            return "location must be 1-\(InputRules.maxIdentifierLength) printable ASCII bytes"
        }
        guard let policy, !policy.permits(location) else { return nil }
        return "origin may not write stock at location '\(location)': \(policy.summary)"
    }
}

/// A rule of sync-protocol/README.md section 3.1; its raw value is the name in errors.
public enum OpRule: String, CaseIterable, Hashable, Sendable {
    /// V1: seq, actor, device, scan id, sku and location have their documented shapes.
    case identifier
    /// V2, V3: a delta's sign fits its reason and its size is 1 to 1,000,000 units; a count
    /// is 0 to 1,000,000.
    case quantity
    /// V4: every catalogue value has its field's type and range; a create names the item;
    /// an update assigns something.
    case field
    /// V5: `alive` is never assigned by an op's fields (rule C2).
    case alive
    /// V6: a catalogue op is not stamped more than a day ahead of the receiver.
    case clock
    /// V7: stock ops only at locations the origin may write.
    case location
    /// V8: a (device, scan id) names one op of an origin.
    case scanID = "scan_id"
    /// V9: a stock op that enters the chain from its origin names an item the receiver
    /// has (alive or deleted): the item's create always comes before it causally.
    case unknownSKU = "unknown_sku"
    /// V10: a document event has its documented shape (section 10): ids, lines, quantities,
    /// the actions of its kind.
    case event
    /// V11: rights move from a cell's owner to a channel and back only by the one who has
    /// them; a policy's share is 0 to 100 % (section 10.6).
    case allowance
    /// V12: a supplier op names a supplier (and an item) by identifiers and assigns fields
    /// of the right scope with values of their type and range (section 10.8).
    case supplier
    /// V13: a setting op names a known namespace and a key and value of the shape that
    /// namespace documents; chain-wide settings come from the hub (section 11).
    case setting
    /// V14: business facts ride on deltas and counts only, happened between 2000 and the
    /// op's own stamp (plus 5 minutes of scanner skew), and cost 0 to 100,000,000 cents
    /// (section 12).
    case facts
}

/// Why an op was refused: the rule, the op, and (in a batch) its position.
public struct OpViolation: Error, Hashable, Sendable, CustomStringConvertible {
    public var rule: OpRule
    public var op: OpID
    public var index: Int?
    public var message: String

    public init(rule: OpRule, op: OpID, index: Int? = nil, message: String) {
        self.rule = rule
        self.op = op
        self.index = index
        self.message = message
    }

    public var description: String {
        let position = index.map { "op \($0) of the batch (\(op))" } ?? "op \(op)"
        return "\(position) breaks rule '\(rule.rawValue)': \(message)"
    }
}

/// The stock locations a node may write (rule V7).
public enum LocationPolicy: Hashable, Sendable {
    /// The hub: the chain's own office writes anywhere (web orders, transfers, corrections).
    case anywhere
    /// A store or warehouse: its node id, its sub-locations `<node id>/…`, and the extra
    /// locations it was granted.
    case own(NodeID, extra: Set<String> = [])

    /// A store's policy from the chain's grant list (`--grant-location NODE=LOCATION`): the
    /// one place a grant map becomes a policy, for the hub checking pushes and pulls and
    /// for the store checking its own scans.
    public static func store(_ node: NodeID, grants: [NodeID: Set<String>]) -> LocationPolicy {
        .own(node, extra: grants[node] ?? [])
    }

    public func permits(_ location: String) -> Bool {
        switch self {
        case .anywhere: true
        case .own(let node, let extra): SyncInterest.isLocation(location, of: node) || extra.contains(location)
        }
    }

    var summary: String {
        switch self {
        case .anywhere: "anywhere"
        case .own(let node, let extra):
            "it may write '\(node)', '\(node)/…'"
                + (extra.isEmpty ? "" : " and " + extra.sorted().joined(separator: ", "))
        }
    }
}
