/// The unit of change and the audit record. Immutable once written.
///
/// Everything a node shows (catalogue, stock, conflicts) is derived from the set of ops it
/// holds; two nodes holding the same set show the same state, whatever order the ops
/// arrived in.
public struct Op: Hashable, Sendable {
    public var id: OpID
    public var hlc: HLC
    /// Who caused it: a token name, a user, or `system`.
    public var actor: String
    /// Which device (scanner, till) sent it, when known.
    public var device: String?
    /// The client's idempotency key (a scanner's scan id), unique per origin and device.
    public var scanID: String?
    public var payload: OpPayload
    /// When the movement happened and at what cost or price (section 12); nil for most
    /// ops, which happened when they were stamped.
    public var facts: OpFacts?

    public init(
        id: OpID, hlc: HLC, actor: String, device: String? = nil, scanID: String? = nil, payload: OpPayload,
        facts: OpFacts? = nil
    ) {
        self.id = id
        self.hlc = hlc
        self.actor = actor
        self.device = device
        self.scanID = scanID
        self.payload = payload
        self.facts = facts?.isEmpty == true ? nil : facts
    }

    /// The order used for last-writer-wins: hybrid timestamp, then origin as tie-break.
    public var stamp: Stamp { Stamp(hlc: hlc, origin: id.origin) }
}

/// What an op does.
public enum OpPayload: Hashable, Sendable {
    /// Adds a signed quantity to a stock cell (rule "deltas commute").
    case delta(StockKey, quantity: Int64, reason: StockReason)
    /// States the quantity on the shelf as of `context` (rule "counts are absolute as of a
    /// causal cut").
    case count(StockKey, counted: Int64, context: VersionVector)
    /// Brings an item to life with every field assigned.
    case itemCreate(sku: String, fields: FieldAssignments)
    /// Assigns some fields of an item.
    case itemUpdate(sku: String, fields: FieldAssignments)
    /// Tombstones an item.
    case itemDelete(sku: String)
    /// Records an event of a document (order, transfer, purchase order, hold). Its units
    /// move by the `delta` and `unavailable` ops written beside it (section 10).
    case event(DocumentEvent)
    /// Moves units of a cell into (positive) or out of (negative) the unavailable state:
    /// still on the premises, not for sale. On hand does not change.
    case unavailable(StockKey, quantity: Int64)
    /// Moves rights to promise a cell's units (section 10.6): a grant by the cell's owner to
    /// `channel` (positive), or a return by `channel` (negative).
    case allowance(StockKey, channel: NodeID, quantity: Int64)
    /// Sets the top-up policy of a channel for a scope (rule A3); last writer wins.
    case allowancePolicy(AllowancePolicy)
    /// Assigns registers of a supplier or of one of its items (section 10.8).
    case supplier(SupplierAssignment)
    /// Sets a chain setting register: an alert rule, a reorder rule, an acknowledgement or
    /// snooze, or a location's alert delivery node (section 11).
    case setting(Setting)

    public var kind: OpKind {
        switch self {
        case .delta: .delta
        case .count: .count
        case .itemCreate: .itemCreate
        case .itemUpdate: .itemUpdate
        case .itemDelete: .itemDelete
        case .event: .event
        case .unavailable: .unavailable
        case .allowance: .allowance
        case .allowancePolicy: .allowancePolicy
        case .supplier: .supplier
        case .setting: .setting
        }
    }

    public var sku: String {
        switch self {
        case .delta(let key, _, _), .count(let key, _, _), .unavailable(let key, _), .allowance(let key, _, _): key.sku
        case .itemCreate(let sku, _), .itemUpdate(let sku, _), .itemDelete(let sku): sku
        case .event(let event): event.lines.first?.sku ?? ""
        case .allowancePolicy: ""
        case .supplier(let assignment): assignment.sku ?? ""
        case .setting: ""
        }
    }

    /// The stock cell this op touches; nil for catalogue ops.
    public var stockKey: StockKey? {
        switch self {
        case .delta(let key, _, _), .count(let key, _, _), .unavailable(let key, _), .allowance(let key, _, _): key
        default: nil
        }
    }

    /// The catalogue registers this op assigns; empty for stock ops.
    public var assignments: FieldAssignments {
        switch self {
        case .itemCreate(_, var fields):
            fields[.alive] = .int(1)
            return fields
        case .itemUpdate(_, let fields): return fields
        case .itemDelete: return FieldAssignments([.alive: .int(0)])
        default: return FieldAssignments()
        }
    }
}

/// Stable op kinds for the database and the wire; never renumber.
public enum OpKind: UInt8, CaseIterable, Sendable {
    case delta = 1, count = 2, itemCreate = 3, itemUpdate = 4, itemDelete = 5, event = 6, unavailable = 7,
        allowance = 8, allowancePolicy = 9, supplier = 10, setting = 11

    /// The first sync protocol version that carries this kind: a puller is sent only the
    /// kinds of the version it speaks (section 8).
    public var protocolVersion: Int {
        switch rawValue {
        case ...5: 1
        case ...10: 2
        default: 3
        }
    }

    public var name: String {
        switch self {
        case .delta: "delta"
        case .count: "count"
        case .itemCreate: "item_create"
        case .itemUpdate: "item_update"
        case .itemDelete: "item_delete"
        case .event: "event"
        case .unavailable: "unavailable"
        case .allowance: "allowance"
        case .allowancePolicy: "allowance_policy"
        case .supplier: "supplier"
        case .setting: "setting"
        }
    }
}

/// One stock cell: an item at a location.
public struct StockKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var sku: String
    public var location: String

    public init(sku: String, location: String) {
        self.sku = sku
        self.location = location
    }

    public static func < (lhs: StockKey, rhs: StockKey) -> Bool { (lhs.sku, lhs.location) < (rhs.sku, rhs.location) }
    public var description: String { "\(sku)@\(location)" }
}

/// The total order of last-writer-wins: (hlc, origin). Unique per op, because one origin
/// never issues the same HLC twice.
public struct Stamp: Hashable, Comparable, Sendable {
    public var hlc: HLC
    public var origin: NodeID

    public init(hlc: HLC, origin: NodeID) {
        self.hlc = hlc
        self.origin = origin
    }

    public static func < (lhs: Stamp, rhs: Stamp) -> Bool {
        lhs.hlc != rhs.hlc ? lhs.hlc < rhs.hlc : lhs.origin < rhs.origin
    }
}
