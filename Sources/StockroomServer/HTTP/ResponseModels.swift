import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// JSON shapes of responses. Keys are snake_case on the wire (the context's encoder
/// converts them).
enum Timestamps {
    /// An HLC as an ISO-8601 UTC time with milliseconds.
    static func iso(_ hlc: HLC) -> String {
        Date(timeIntervalSince1970: Double(hlc.millis) / 1000).formatted(style)
    }

    /// Built once: assembling a format style costs more than formatting with it.
    private static let style = Date.ISO8601FormatStyle.iso8601.year().month().day().dateSeparator(.dash)
        .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)
}

struct ScanResponse: ResponseEncodable {
    var op: String
    var sku: String
    var location: String
    var quantity: Int64
    var reason: String
    var change: Int64?
    var counted: Int64?
    var replayed: Bool
    var at: String

    init(_ result: ScanResult) {
        op = result.opID.description
        sku = result.sku
        location = result.location
        quantity = result.quantity
        reason = result.action.name
        if result.action == .count { counted = result.change } else { change = result.change }
        replayed = result.replayed
        at = Timestamps.iso(result.hlc)
    }
}

struct ScanBatchResponse: ResponseEncodable {
    var results: [ScanResponse]
}

struct StockResponse: ResponseEncodable {
    struct LastCount: Encodable {
        var op: String
        var counted: Int64
        var at: String
    }
    var sku: String
    var name: String
    var category: String
    var location: String
    var quantity: Int64
    var threshold: Int64?
    var belowThreshold: Bool
    var updatedAt: String?
    var lastCount: LastCount?
    var states: StockStates
    /// Per channel, what it may still promise (one item's answer only).
    var promise: [PromiseResponse]?
    var cost: CellCost

    enum CodingKeys: String, CodingKey {
        case sku, name, category, location, quantity, threshold
        case belowThreshold = "below_threshold", updatedAt = "updated_at", lastCount = "last_count"
        case onHand = "on_hand", committed, held, unavailable, incoming
        case inTransit = "in_transit", available, projected, promise
        case averageCost = "average_cost", stockValue = "stock_value"
    }

    /// Every key, every time (`null` when absent): clients get one shape per resource.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sku, forKey: .sku)
        try container.encode(name, forKey: .name)
        try container.encode(category, forKey: .category)
        try container.encode(location, forKey: .location)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(belowThreshold, forKey: .belowThreshold)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(lastCount, forKey: .lastCount)
        try container.encode(states.onHand, forKey: .onHand)
        try container.encode(states.committed, forKey: .committed)
        try container.encode(states.held, forKey: .held)
        try container.encode(states.unavailable, forKey: .unavailable)
        try container.encode(states.incoming, forKey: .incoming)
        try container.encode(states.inTransit, forKey: .inTransit)
        try container.encode(states.available, forKey: .available)
        try container.encode(states.projected, forKey: .projected)
        if let promise { try container.encode(promise, forKey: .promise) }
        try container.encode(cost.averageCents.map(InputRules.formatPrice(cents:)), forKey: .averageCost)
        try container.encode(cost.value(onHand: states.onHand).map(InputRules.formatPrice(cents:)), forKey: .stockValue)
    }

    init(_ level: StockLevel) {
        sku = level.sku
        name = level.name
        category = level.category
        location = level.location
        quantity = level.quantity
        threshold = level.threshold
        belowThreshold = level.belowThreshold
        updatedAt = level.updatedHLC.map(Timestamps.iso)
        lastCount = level.lastCount.map {
            LastCount(op: $0.id.description, counted: $0.counted, at: Timestamps.iso($0.hlc))
        }
        states = level.states
        cost = level.cost
    }
}

struct PageResponse<Element: Encodable & Sendable>: ResponseEncodable {
    var items: [Element]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items, nextCursor = "next_cursor"
    }
}

struct ItemResponse: ResponseEncodable {
    var sku: String
    var name: String
    var description: String
    var category: String
    var price: String?
    var priceCents: Int64?
    var barcodes: [String]
    var threshold: Int64?
    var deleted: Bool
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case sku, name, description, category, price, barcodes, threshold, deleted
        case priceCents = "price_cents", updatedAt = "updated_at"
    }

    /// Every key, every time (`null` when absent).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sku, forKey: .sku)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(category, forKey: .category)
        try container.encode(price, forKey: .price)
        try container.encode(priceCents, forKey: .priceCents)
        try container.encode(barcodes, forKey: .barcodes)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(deleted, forKey: .deleted)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    init(_ item: ItemRecord) {
        sku = item.sku
        name = item.name
        description = item.description
        category = item.category
        price = item.priceCents.map(InputRules.formatPrice(cents:))
        priceCents = item.priceCents
        barcodes = item.barcodes
        threshold = item.threshold
        deleted = !item.alive
        updatedAt = Timestamps.iso(item.updatedHLC)
    }
}

/// An op as the audit trail shows it.
struct OpResponse: ResponseEncodable {
    var id: String
    var lsn: Int64
    var at: String
    var hlc: String
    var actor: String
    var device: String?
    var scanId: String?
    var kind: String
    var sku: String
    var location: String?
    var change: Int64?
    var counted: Int64?
    var reason: String?
    var context: String?
    var fields: [String: FieldJSON]?
    var quantityAfter: Int64?
    /// An event's document (`order/web:1001`), action and event id.
    var document: String?
    var action: String?
    var eventId: String?

    enum CodingKeys: String, CodingKey {
        case id, lsn, at, hlc, actor, device, kind, sku, location, change, counted, reason, context, fields
        case scanId = "scan_id", quantityAfter = "quantity_after", document, action, eventId = "event_id"
    }

    init(_ logged: LoggedOp) {
        let op = logged.op
        id = op.id.description
        lsn = logged.lsn
        at = Timestamps.iso(op.hlc)
        hlc = op.hlc.description
        actor = op.actor
        device = op.device
        scanId = op.scanID
        kind = op.payload.kind.name
        sku = op.payload.sku
        quantityAfter = logged.resultQuantity
        switch op.payload {
        case .delta(let key, let quantity, let why):
            location = key.location
            change = quantity
            reason = why.rawValue
        case .count(let key, let value, let cut):
            location = key.location
            counted = value
            reason = "count"
            context = cut.description
        case .itemCreate(_, let assigned), .itemUpdate(_, let assigned):
            fields = Dictionary(uniqueKeysWithValues: assigned.map { ($0.field.rawValue, FieldJSON($0.value)) })
        case .itemDelete:
            break
        case .unavailable(let key, let quantity):
            location = key.location
            change = quantity
            reason = "unavailable"
        case .allowance(let key, let channel, let quantity):
            location = key.location
            change = quantity
            reason = quantity > 0 ? "grant to \(channel)" : "return by \(channel)"
        case .supplier(let assignment):
            document = "supplier/\(assignment.supplier)"
            reason = "supplier " + assignment.fields.keys.map(\.rawValue).sorted().joined(separator: ", ")
        case .setting(let setting):
            location = setting.location
            document = "\(setting.namespace.name)/\(setting.key)"
            reason = setting.value.map { "set \($0)" } ?? "cleared"
        case .allowancePolicy(let policy):
            reason = "policy \(policy.scope) for \(policy.channel): \(policy.sharePercent)% above \(policy.keep)"
        case .event(let event):
            location = event.location
            document = event.key.description
            action = event.action.rawValue
            eventId = event.event
        }
    }
}

/// A register value in JSON.
enum FieldJSON: Encodable, Sendable {
    case null, int(Int64), text(String), texts([String])

    init(_ value: FieldValue) {
        switch value {
        case .null: self = .null
        case .int(let number): self = .int(number)
        case .text(let text): self = .text(text)
        case .texts(let texts): self = .texts(texts)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .int(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        case .texts(let texts): try container.encode(texts)
        }
    }
}

struct ConflictResponse: ResponseEncodable {
    var id: Int64
    var kind: String
    var sku: String
    var location: String?
    var ops: [String]
    var quantity: Int64?
    var detail: String
    var detectedAt: String
    var resolvedAt: String?
    /// Who resolved it by hand, and why (a `conflict_resolution` op; section 13).
    var resolvedBy: String?
    var resolution: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, sku, location, ops, quantity, detail, resolution
        case detectedAt = "detected_at", resolvedAt = "resolved_at", resolvedBy = "resolved_by"
    }

    init(_ record: ConflictRecord) {
        id = record.id
        kind = record.kind
        sku = record.sku
        location = record.location
        ops = record.ops
        quantity = record.quantity
        detail = record.detail
        detectedAt = Timestamps.iso(record.detectedHLC)
        resolvedAt = record.resolvedHLC.map(Timestamps.iso)
        resolvedBy = record.resolution?.by
        resolution = record.resolution?.reason
    }
}
