import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// A document as `/v1/orders`, `/v1/transfers`, `/v1/purchase-orders` and `/v1/holds` show
/// it. Line keys say what they count for that kind of document (an order's `fulfilled`, a
/// transfer's `shipped`, `received`, `damaged`, `in_transit`, a PO's `received`,
/// `rejected`, `open`).
struct DocumentResponse: ResponseEncodable {
    var record: DocumentRecord
    var replayed: Bool?
    var ops: [String]?
    var now: UInt64

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        let kind = record.key.kind
        try container.encode(record.key.id, forKey: DynamicKey("id"))
        try container.encode(kind.rawValue, forKey: DynamicKey("kind"))
        var status = record.status
        if kind == .hold, status == .active, let expiry = record.expiresAt, expiry <= now { status = .expired }
        try container.encode(status.rawValue, forKey: DynamicKey("status"))
        switch kind {
        case .order:
            let parts = record.key.id.split(separator: ":", maxSplits: 1).map(String.init)
            try container.encode(parts.first, forKey: DynamicKey("source"))
            try container.encode(parts.count > 1 ? parts[1] : nil, forKey: DynamicKey("external_id"))
            try container.encode(record.location, forKey: DynamicKey("location"))
            try container.encode(record.channel, forKey: DynamicKey("channel"))
        case .transfer:
            try container.encode(record.location, forKey: DynamicKey("from"))
            try container.encode(record.counterpart, forKey: DynamicKey("to"))
        case .purchaseOrder:
            try container.encode(record.location, forKey: DynamicKey("location"))
            try container.encode(record.counterpart, forKey: DynamicKey("supplier"))
        case .hold:
            try container.encode(record.location, forKey: DynamicKey("location"))
            try container.encode(record.channel, forKey: DynamicKey("channel"))
            try container.encode(
                record.expiresAt.map { Timestamps.iso(HLC(millis: $0, logical: 0)) }, forKey: DynamicKey("expires_at"))
        }
        var lines = container.nestedUnkeyedContainer(forKey: DynamicKey("lines"))
        for line in record.lines {
            var item = lines.nestedContainer(keyedBy: DynamicKey.self)
            try item.encode(line.sku, forKey: DynamicKey("sku"))
            try item.encode(line.quantity, forKey: DynamicKey("qty"))
            switch kind {
            case .order:
                try item.encode(line.done, forKey: DynamicKey("fulfilled"))
                try item.encode(line.received, forKey: DynamicKey("returned"))
                try item.encode(line.second, forKey: DynamicKey("cancelled"))
                try item.encode(max(0, line.quantity - line.done - line.second), forKey: DynamicKey("open"))
            case .transfer:
                try item.encode(line.done, forKey: DynamicKey("shipped"))
                try item.encode(line.received, forKey: DynamicKey("received"))
                try item.encode(line.second, forKey: DynamicKey("damaged"))
                let open = record.status == .closed || record.status == .cancelled
                try item.encode(
                    open ? 0 : max(0, line.done - line.received - line.second), forKey: DynamicKey("in_transit"))
            case .purchaseOrder:
                try item.encode(line.done, forKey: DynamicKey("received"))
                try item.encode(line.second, forKey: DynamicKey("rejected"))
                try item.encode(max(0, line.quantity - line.done - line.second), forKey: DynamicKey("open"))
                try item.encode(line.unitCost.map(InputRules.formatPrice(cents:)), forKey: DynamicKey("unit_cost"))
            case .hold:
                break
            }
        }
        try container.encode(record.note, forKey: DynamicKey("note"))
        try container.encode(record.openedHLC.map(Timestamps.iso), forKey: DynamicKey("opened_at"))
        try container.encode(Timestamps.iso(record.updatedHLC), forKey: DynamicKey("updated_at"))
        if let replayed { try container.encode(replayed, forKey: DynamicKey("replayed")) }
        if let ops { try container.encode(ops, forKey: DynamicKey("ops")) }
    }
}

struct DocumentEventResponse: Encodable, Sendable {
    var op: String
    var at: String
    var actor: String
    var eventID: String
    var action: String
    var location: String
    var lines: [Line]
    var note: String?
    var occurredAt: String?

    struct Line: Encodable, Sendable {
        var sku: String
        var qty: Int64
        var second: Int64
    }

    enum CodingKeys: String, CodingKey {
        case op, at, actor, action, location, lines, note
        case eventID = "event_id", occurredAt = "occurred_at"
    }
}

struct DocumentEventsResponse: ResponseEncodable {
    var items: [DocumentEventResponse]
}
