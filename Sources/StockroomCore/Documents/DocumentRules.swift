/// The shape every document event must have wherever it comes from (rule V10, sync-protocol
/// section 3.1): checked by ``OpRules`` for every `event` op and by the lifecycle before it
/// decides. Pure.
public enum DocumentRules {
    public static let maxLines = 200
    /// A document id: an identifier, or for orders `source:external-id` (both parts
    /// identifiers, 129 bytes at most in all).
    public static let maxDocumentLength = 129

    public static func problem(with event: DocumentEvent) -> String? {
        guard isDocumentID(event.document) else {
            return "document id must be 1-\(maxDocumentLength) printable ASCII bytes, no space at either end"
        }
        if let problem = InputRules.identifierProblem(event.event, name: "event id") { return problem }
        if let problem = InputRules.identifierProblem(event.location, name: "location") { return problem }
        if let counterpart = event.counterpart,
            let problem = InputRules.identifierProblem(counterpart, name: "counterpart")
        {
            return problem
        }
        if let note = event.note, !InputRules.isLabel(note, maxLength: 500) {
            return "note must be 1-500 bytes of text on one line"
        }
        guard event.kind.actions.contains(event.action) else {
            return "a \(event.kind.noun) has no '\(event.action.rawValue)' event"
        }
        guard event.lines.count <= maxLines else { return "at most \(maxLines) lines per event" }
        var seen = Set<String>()
        let limit = InputRules.maxQuantity
        for line in event.lines {
            if let problem = InputRules.identifierProblem(line.sku, name: "sku") { return problem }
            guard seen.insert(line.sku).inserted else { return "\(line.sku) appears on two lines; merge them" }
            guard (0...limit).contains(line.quantity), (0...limit).contains(line.second) else {
                return "line quantities must be between 0 and \(limit)"
            }
            guard line.quantity + line.second >= 1 else { return "a line must move at least one unit" }
            if line.second > 0, event.action != .receive {
                return "only a receipt has damaged or rejected units"
            }
            if let cost = line.unitCost, !(0...InputRules.maxPriceCents).contains(cost) {
                return "unit cost must be between 0 and \(InputRules.maxPriceCents) cents"
            }
        }
        switch event.action {
        case .place, .create, .fulfil, .return, .receive:
            guard !event.lines.isEmpty else { return "a '\(event.action.rawValue)' needs at least one line" }
        case .cancel, .close, .send, .release, .resolve, .collect:
            if !event.lines.isEmpty, !(event.kind == .order && event.action == .cancel) {
                if event.action != .collect { return "a '\(event.action.rawValue)' has no lines" }
            }
        case .ship:
            break  // no lines: the whole transfer
        }
        if event.action.opens, event.lines.contains(where: { $0.second > 0 }) {
            return "only a receipt has damaged or rejected units"
        }
        switch event.kind {
        case .transfer where event.action == .create:
            guard event.counterpart != nil else { return "a transfer needs a destination" }
        case .purchaseOrder where event.action == .create:
            guard event.counterpart != nil else { return "a purchase order needs a supplier" }
        case .hold where event.action == .place:
            guard event.expiresAt != nil else { return "a hold needs expires_at" }
            guard event.lines.count == 1 else { return "a hold is for one item; place one hold per item" }
        default:
            break
        }
        if let expiry = event.expiresAt, expiry >= (1 << 47) { return "expires_at is out of range" }
        if let time = event.occurredAt, time >= (1 << 47) { return "occurred_at is out of range" }
        return nil
    }

    public static func isDocumentID(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxDocumentLength, utf8.first != 32, utf8.last != 32 else { return false }
        return utf8.allSatisfy { $0 >= 32 && $0 < 127 }
    }
}
