import Foundation
import StockroomCore

/// The JSON body of `POST /v1/{orders,transfers,purchase-orders,holds}` and of
/// `POST /v1/{…}/{id}/events`, turned into a ``DocumentEvent``. Shape errors are
/// ``InputError`` (422); everything about the document's state is the lifecycle's.
struct DocumentInput: Decodable {
    struct Line: Decodable {
        var sku: String
        var qty: Int64
        var damaged: Int64?
        var rejected: Int64?
        var unitCost: String?
        var unitCostCents: Int64?

        enum CodingKeys: String, CodingKey {
            case sku, qty, damaged, rejected
            case unitCost = "unit_cost", unitCostCents = "unit_cost_cents"
        }
    }

    var id: String?
    var source: String?
    var externalID: String?
    var eventID: String?
    var action: String?
    var location: String?
    var to: String?
    var supplier: String?
    var lines: [Line]?
    var sku: String?
    var qty: Int64?
    var expiresAt: String?
    var expiresInMinutes: Int64?
    var restock: Bool?
    var note: String?
    var occurredAt: String?
    var backorder: Bool?

    enum CodingKeys: String, CodingKey {
        case id, source, action, location, to, supplier, lines, sku, qty, restock, note, backorder
        case externalID = "external_id", eventID = "event_id", expiresAt = "expires_at"
        case expiresInMinutes = "expires_in_minutes", occurredAt = "occurred_at"
    }

    /// The id of the document a create names: `source:external_id` for orders.
    func documentID(for kind: DocumentKind) throws -> String {
        if kind == .order {
            guard let source, let externalID else {
                throw InputError("invalid_value", "an order needs 'source' (e.g. web, pos, shopify) and 'external_id'")
            }
            if let problem = InputRules.identifierProblem(source, name: "source") {
                throw InputError("invalid_value", problem)
            }
            guard !source.contains(":") else { throw InputError("invalid_value", "source must not contain ':'") }
            if let problem = InputRules.identifierProblem(externalID, name: "external_id") {
                throw InputError("invalid_value", problem)
            }
            return "\(source):\(externalID)"
        }
        guard let id else { throw InputError("invalid_value", "a \(kind.noun) needs an 'id' (your reference for it)") }
        if let problem = InputRules.identifierProblem(id, name: "id") { throw InputError("invalid_value", problem) }
        return id
    }

    /// The event this body asks for. `action` nil: the opening event of `kind`.
    func event(
        kind: DocumentKind, document: String, action forced: DocumentAction?, home: String, now: UInt64
    ) throws
        -> DocumentEvent
    {
        let action: DocumentAction
        if let forced {
            action = forced
        } else {
            guard let name = self.action, let parsed = DocumentAction(rawValue: name), kind.actions.contains(parsed),
                !parsed.opens
            else {
                let names = kind.actions.filter { !$0.opens }.map(\.rawValue).sorted().joined(separator: ", ")
                throw InputError("invalid_value", "'action' must be one of \(names) for a \(kind.noun)")
            }
            action = parsed
        }
        let eventID = self.eventID ?? (action.opens ? action.rawValue : nil)
        guard let eventID else {
            throw InputError(
                "invalid_value", "'event_id' is required: your id for this event, so that a retry is recognised")
        }
        var lines: [DocumentLine] = try (self.lines ?? []).map { line in
            DocumentLine(
                sku: line.sku, quantity: line.qty, second: line.damaged ?? line.rejected ?? 0,
                unitCost: try Self.cents(line.unitCost, line.unitCostCents))
        }
        if kind == .hold, action == .place {
            guard let sku, let qty else { throw InputError("invalid_value", "a hold needs 'sku' and 'qty'") }
            lines = [DocumentLine(sku: sku, quantity: qty)]
        }
        let location: String
        switch (kind, action) {
        case (.transfer, .receive), (.transfer, .resolve), (.transfer, .ship), (.transfer, .cancel),
            (.transfer, .close):
            location = self.location ?? ""  // filled from the document by the route
        default:
            location = self.location ?? home
        }
        var expiresAt: UInt64?
        if let text = self.expiresAt {
            expiresAt = try Self.millis(text, field: "expires_at")
        } else if let minutes = expiresInMinutes {
            guard (1...60 * 24 * 90).contains(minutes) else {
                throw InputError("invalid_value", "expires_in_minutes must be 1 to 129600 (90 days)")
            }
            expiresAt = now + UInt64(minutes) * 60_000
        }
        return DocumentEvent(
            kind: kind, document: document, event: eventID, action: action, location: location,
            counterpart: kind == .transfer ? to : (kind == .purchaseOrder ? supplier : nil), lines: lines,
            restock: restock ?? (action == .return), backorder: backorder ?? false, expiresAt: expiresAt,
            occurredAt: try occurredAt.map { try Self.millis($0, field: "occurred_at") }, note: note)
    }

    private static func cents(_ text: String?, _ cents: Int64?) throws -> Int64? {
        if let cents { return cents }
        guard let text else { return nil }
        guard let value = InputRules.parsePriceCents(text) else {
            throw InputError("invalid_value", "unit_cost '\(text.prefix(32))' is not a decimal like 4.50")
        }
        return value
    }

    /// An ISO-8601 time (`2026-12-01T18:00:00Z`, with or without fractional seconds).
    static func millis(_ text: String, field: String) throws -> UInt64 {
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? plain.parse(text)) ?? (try? fractional.parse(text)),
            date.timeIntervalSince1970 > 0
        else {
            throw InputError(
                "invalid_value", "\(field) '\(text.prefix(40))' is not an ISO-8601 time like 2026-12-01T18:00:00Z")
        }
        return UInt64(date.timeIntervalSince1970 * 1000)
    }
}
