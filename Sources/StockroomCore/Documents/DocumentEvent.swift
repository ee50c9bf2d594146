/// One event in the life of a document (a customer order, a transfer, a purchase order or a
/// hold), as it is recorded in the op log (op kind `event`, sync-protocol section 10).
///
/// An event is the document's audit record. Its physical side (units leaving or arriving)
/// is written beside it as ordinary `delta` and `unavailable` ops by the lifecycle
/// (``DocumentLifecycle/decide(_:state:now:)``), so the on-hand counter and its count
/// rule (S2) stay exactly as they were. The states that promise or expect units
/// (committed, held, incoming, in transit) are derived from the fold of a document's
/// events (``DocumentState``), never counted op by op, so two concurrent events on one
/// document cannot release the same units twice.
public struct DocumentEvent: Hashable, Sendable, Codable {
    public var kind: DocumentKind
    /// The document's id: `source:external-id` for an order, the client's id otherwise.
    public var document: String
    /// The client's idempotency key for this event, unique within the document.
    public var event: String
    public var action: DocumentAction
    /// Where the event happens: the order's fulfilling location, the transfer's source
    /// (create, ship, cancel, close) or destination (receive, resolve), the PO's
    /// destination, the hold's location. Rule V7 applies to it.
    public var location: String
    /// The other end: a transfer's destination (source on receive), a PO's supplier id.
    public var counterpart: String?
    public var lines: [DocumentLine]
    /// Cancel: the fulfilled units come back to on hand. Return: to on hand (true) or to
    /// unavailable (false).
    public var restock: Bool
    /// An order or hold placed beyond what its channel may promise, knowingly: it commits
    /// units but uses no rights (section 10.6), and the customer knows it will wait.
    public var backorder: Bool
    /// A hold's expiry, ms since the Unix epoch. Part of the op, so every node agrees.
    public var expiresAt: UInt64?
    /// Business time: when it happened on the shop floor (ms since the Unix epoch).
    public var occurredAt: UInt64?
    /// Why (a close, a cancel, a resolved discrepancy); one line.
    public var note: String?

    public init(
        kind: DocumentKind, document: String, event: String, action: DocumentAction, location: String,
        counterpart: String? = nil, lines: [DocumentLine] = [], restock: Bool = false, backorder: Bool = false,
        expiresAt: UInt64? = nil, occurredAt: UInt64? = nil, note: String? = nil
    ) {
        self.backorder = backorder
        self.kind = kind
        self.document = document
        self.event = event
        self.action = action
        self.location = location
        self.counterpart = counterpart
        self.lines = lines
        self.restock = restock
        self.expiresAt = expiresAt
        self.occurredAt = occurredAt
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case kind, document, event, action, location, counterpart, lines, restock, backorder, note
        case expiresAt = "expires_at", occurredAt = "occurred_at"
    }

    /// The document this event belongs to.
    public var key: DocumentKey { DocumentKey(kind: kind, id: document) }

    /// The locations whose stores must hold this event: its own, and a transfer's other end.
    public var locations: [String] {
        kind == .transfer ? [location] + (counterpart.map { [$0] } ?? []) : [location]
    }
}

/// One line of an event: a SKU and its units. `second` is what the action counts beside
/// the main quantity: units received damaged (transfer receive) or rejected at the dock
/// (PO receive); 0 otherwise. `unitCost` is in cents (PO create and receive).
public struct DocumentLine: Hashable, Sendable, Codable {
    public var sku: String
    public var quantity: Int64
    public var second: Int64
    public var unitCost: Int64?

    public init(sku: String, quantity: Int64, second: Int64 = 0, unitCost: Int64? = nil) {
        self.sku = sku
        self.quantity = quantity
        self.second = second
        self.unitCost = unitCost
    }

    enum CodingKeys: String, CodingKey {
        case sku, quantity, second
        case unitCost = "unit_cost"
    }
}

/// The four documents. Codes are stable on the wire and in the database.
public enum DocumentKind: String, CaseIterable, Hashable, Sendable, Codable {
    case order, transfer
    case purchaseOrder = "purchase_order"
    case hold

    public var code: UInt8 {
        switch self {
        case .order: 1
        case .transfer: 2
        case .purchaseOrder: 3
        case .hold: 4
        }
    }

    public init?(code: UInt64) {
        guard let kind = Self.allCases.first(where: { UInt64($0.code) == code }) else { return nil }
        self = kind
    }

    /// What a store manager calls it, for messages.
    public var noun: String {
        switch self {
        case .order: "order"
        case .transfer: "transfer"
        case .purchaseOrder: "purchase order"
        case .hold: "hold"
        }
    }

    /// Where an event of a document happens (rule V7 is checked against it): a transfer is
    /// received and resolved at its destination (`counterpart`), everything else at the
    /// document's location. The API and scans fill an event's location from this.
    public func actingLocation(for action: DocumentAction, location: String, counterpart: String?) -> String {
        switch (self, action) {
        case (.transfer, .receive), (.transfer, .resolve): counterpart ?? location
        default: location
        }
    }

    /// The actions this kind of document takes.
    public var actions: Set<DocumentAction> {
        switch self {
        case .order: [.place, .fulfil, .cancel, .close, .return]
        case .transfer: [.create, .ship, .receive, .cancel, .close, .resolve]
        case .purchaseOrder: [.create, .send, .receive, .cancel, .close]
        case .hold: [.place, .collect, .release]
        }
    }
}

/// What an event does. Codes are stable on the wire.
public enum DocumentAction: String, CaseIterable, Hashable, Sendable, Codable {
    case place, fulfil, cancel, close, `return`, create, ship, receive, resolve, send, collect, release

    public var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)! + 1) }

    public init?(code: UInt64) {
        guard code >= 1, code <= UInt64(Self.allCases.count) else { return nil }
        self = Self.allCases[Int(code) - 1]
    }

    /// The event that brings a document into being.
    public var opens: Bool { self == .place || self == .create }
}

/// A document's identity: its kind and id.
public struct DocumentKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var kind: DocumentKind
    public var id: String

    public init(kind: DocumentKind, id: String) {
        self.kind = kind
        self.id = id
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.kind.code, lhs.id) < (rhs.kind.code, rhs.id) }
    public var description: String { "\(kind.rawValue)/\(id)" }
}

extension DocumentEvent {
    /// The event as one line of tab-separated fields, for the database: kind code, document,
    /// event, action code, location, counterpart, flags (bit 0 restock, bit 1 backorder),
    /// expires_at, occurred_at, note, then four fields per line (sku, quantity, second, unit
    /// cost). An absent value is an empty field. No field can hold a tab or a line break:
    /// ids are printable ASCII and a note is one line without control characters (rule
    /// V10). Ten times cheaper to write and read than JSON, which a document's fold reads
    /// for each of its events every time one arrives.
    public var compactText: String {
        var fields = [
            String(kind.code), document, event, String(action.code), location, counterpart ?? "",
            String((restock ? 1 : 0) | (backorder ? 2 : 0)), expiresAt.map(String.init) ?? "",
            occurredAt.map(String.init) ?? "", note ?? "",
        ]
        fields.reserveCapacity(fields.count + lines.count * 4)
        for line in lines {
            fields += [line.sku, String(line.quantity), String(line.second), line.unitCost.map(String.init) ?? ""]
        }
        return fields.joined(separator: "\t")
    }

    /// Reads ``compactText``; nil for text it did not write.
    public init?(compactText: String) {
        let fields = compactText.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 10, (fields.count - 10) % 4 == 0, let kindCode = UInt64(fields[0]),
            let kind = DocumentKind(code: kindCode), let actionCode = UInt64(fields[3]),
            let action = DocumentAction(code: actionCode), let flags = Int(fields[6])
        else { return nil }
        func optional(_ text: String) -> String? { text.isEmpty ? nil : text }
        func number(_ text: String) -> UInt64?? { text.isEmpty ? .some(nil) : UInt64(text).map { .some($0) } }
        guard let expiresAt = number(fields[7]), let occurredAt = number(fields[8]) else { return nil }
        var lines: [DocumentLine] = []
        var index = 10
        while index < fields.count {
            guard let quantity = Int64(fields[index + 1]), let second = Int64(fields[index + 2]) else { return nil }
            let cost = fields[index + 3]
            guard cost.isEmpty || Int64(cost) != nil else { return nil }
            lines.append(
                DocumentLine(sku: fields[index], quantity: quantity, second: second, unitCost: Int64(cost)))
            index += 4
        }
        self.init(
            kind: kind, document: fields[1], event: fields[2], action: action, location: fields[4],
            counterpart: optional(fields[5]), lines: lines, restock: flags & 1 == 1, backorder: flags & 2 == 2,
            expiresAt: expiresAt, occurredAt: occurredAt, note: optional(fields[9]))
    }
}
