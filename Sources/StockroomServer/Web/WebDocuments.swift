import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Orders, transfers and purchase orders: lists by status, a document with its lines and
/// events, and the actions of its lifecycle, through the same ``DocumentEvent``s and store
/// method as `POST /v1/{kind}/{id}/events`. Every action form carries an event id made
/// when the page was drawn, so a double click or a resubmitted form is one event.
extension WebSite {
    static let documentKinds: [(kind: DocumentKind, path: String, title: String)] = [
        (.order, "orders", "Orders"), (.transfer, "transfers", "Transfers"),
        (.purchaseOrder, "purchase-orders", "Purchase orders"),
    ]

    func registerDocuments(reads: RouterGroup<StockroomRequestContext>, writes: RouterGroup<StockroomRequestContext>) {
        for entry in Self.documentKinds {
            reads.get(RouterPath(entry.path)) { request, context in
                try await documentList(request, context, kind: entry.kind)
            }
            reads.get(RouterPath("\(entry.path)/:id")) { request, context in
                try await documentPage(request, context, kind: entry.kind, id: try context.pathParameter("id"))
            }
            writes.post(RouterPath("\(entry.path)/:id/:action")) { request, context in
                try await documentAction(request, context, kind: entry.kind)
            }
        }
        reads.get("orders-new") { request, context in try await newOrderPage(request, context, error: nil) }
        writes.post("orders-new") { request, context in try await placeOrder(request, context) }
    }

    static func navKey(_ kind: DocumentKind) -> String {
        kind == .order ? "orders" : kind == .transfer ? "transfers" : "purchaseorders"
    }

    static func kindEntry(_ kind: DocumentKind) -> (kind: DocumentKind, path: String, title: String) {
        documentKinds.first { $0.kind == kind }!
    }

    func documentList(
        _ request: Request, _ context: StockroomRequestContext, kind: DocumentKind
    ) async throws
        -> Response
    {
        let entry = Self.kindEntry(kind)
        var query = DocumentQuery(kind: kind)
        let statusText = request.uri.queryParameters["status"].map(String.init) ?? ""
        query.status = DocumentState.Status(rawValue: statusText)
        query.limit = 200
        query.location = scope(of: request).chosen
        let found = try await store.documents(query)
        let statuses = Self.statuses[kind] ?? []
        let fields: [String: Any] = [
            "title": entry.title, "path": entry.path, "isOrder": kind == .order,
            "canWrite": Permission.documents.isGranted(to: context.principal!.role),
            "tabs": Self.documentKinds.map { ["title": $0.title, "path": $0.path, "active": $0.kind == kind] },
            "statuses": [["value": "", "label": "All", "active": statusText.isEmpty]]
                + statuses.map {
                    ["value": $0.rawValue, "label": Self.statusLabel($0), "active": $0.rawValue == statusText]
                },
            "rows": found.items.map { record -> [String: Any] in
                [
                    "id": record.key.id, "idPath": Self.path(record.key.id), "status": Self.statusLabel(record.status),
                    "tone": Self.statusTone(record.status), "location": record.location,
                    "counterpart": record.counterpart ?? "", "lines": record.lines.count,
                    "units": record.lines.reduce(Int64(0)) { $0 + $1.quantity },
                    "open": record.lines.reduce(Int64(0)) { $0 + max(0, $1.quantity - $1.done) },
                    "updated": Self.time(record.updatedHLC.millis),
                ]
            },
            "more": found.next != nil,
        ]
        return try await page("documents", fields, request: request, context: context, nav: Self.navKey(kind))
    }

    static let statuses: [DocumentKind: [DocumentState.Status]] = [
        .order: [.open, .partlyFulfilled, .fulfilled, .cancelled, .closed],
        .transfer: [.draft, .shipped, .partlyReceived, .received, .cancelled, .closed],
        .purchaseOrder: [.draft, .sent, .partlyReceived, .received, .cancelled, .closed],
    ]

    static func statusLabel(_ status: DocumentState.Status) -> String {
        status.rawValue.replacingOccurrences(of: "_", with: " ").capitalized
    }

    static func statusTone(_ status: DocumentState.Status) -> String {
        switch status {
        case .fulfilled, .received, .closed, .collected: "done"
        case .cancelled, .released, .expired: "off"
        default: "open"
        }
    }

    /// The actions offered for a document in its status, with whether each takes lines.
    static func actions(_ record: DocumentRecord) -> [(action: DocumentAction, label: String, lines: Bool)] {
        switch (record.key.kind, record.status) {
        case (.order, .open), (.order, .partlyFulfilled):
            [(.fulfil, "Fulfil", true), (.cancel, "Cancel the order", false)]
        case (.order, .fulfilled): [(.close, "Close", false)]
        case (.transfer, .draft): [(.ship, "Ship", true), (.cancel, "Cancel the transfer", false)]
        case (.transfer, .shipped), (.transfer, .partlyReceived):
            [(.receive, "Receive", true), (.close, "Close", false)]
        case (.purchaseOrder, .draft): [(.send, "Mark as sent", false), (.cancel, "Cancel the PO", false)]
        case (.purchaseOrder, .sent), (.purchaseOrder, .partlyReceived):
            [(.receive, "Receive", true), (.close, "Close (no more to come)", false)]
        default: []
        }
    }

    func documentPage(
        _ request: Request, _ context: StockroomRequestContext, kind: DocumentKind, id: String, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let entry = Self.kindEntry(kind)
        guard let record = try await store.document(DocumentKey(kind: kind, id: id)), record.openedHLC != nil else {
            throw APIError(.notFound, "unknown_document", "No \(kind.noun) '\(id.prefix(80))' is known on this node.")
        }
        let events = try await store.documentEvents(record.key)
        let canWrite = Permission.documents.isGranted(to: context.principal!.role)
        let fields: [String: Any] = [
            "title": entry.title, "path": entry.path, "id": record.key.id, "idPath": Self.path(record.key.id),
            "noun": kind.noun, "status": Self.statusLabel(record.status), "tone": Self.statusTone(record.status),
            "location": record.location, "counterpart": record.counterpart ?? "", "note": record.note ?? "",
            "error": error ?? "",
            "lines": record.lines.enumerated().map { index, line -> [String: Any] in
                [
                    "index": index, "sku": line.sku, "skuPath": Self.path(line.sku), "quantity": line.quantity,
                    "done": line.done, "received": line.received, "second": line.second,
                    "remaining": max(0, line.quantity - (kind == .transfer ? line.received : line.done)),
                    "cost": line.unitCost.map(Money.text) ?? "",
                ]
            },
            "doneLabel": kind == .order ? "Fulfilled" : kind == .transfer ? "Shipped" : "Received",
            "receivedLabel": kind == .order ? "Returned" : kind == .transfer ? "Received" : "",
            "secondLabel": kind == .transfer ? "Damaged" : kind == .purchaseOrder ? "Rejected" : "",
            "actions": canWrite
                ? Self.actions(record).map { action -> [String: Any] in
                    [
                        "action": action.action.rawValue, "label": action.label, "lines": action.lines,
                        "eventID": "web-\(action.action.rawValue)-" + CSRF.newToken().prefix(16),
                        "secondLabel": action.action == .receive
                            ? (kind == .transfer ? "damaged" : "rejected") : "",
                        "hasRows": action.lines,
                        "rows": action.lines
                            ? record.lines.enumerated().map { index, line -> [String: Any] in
                                let done = action.action == .receive && kind == .transfer ? line.received : line.done
                                return ["index": index, "sku": line.sku, "remaining": max(0, line.quantity - done)]
                            } : [],
                    ]
                } : [],
            "events": events.map { event -> [String: Any] in
                [
                    "when": Self.time(event.hlc.millis), "action": event.event.action.rawValue,
                    "actor": event.actor, "op": event.op.description, "location": event.event.location,
                    "eventLines": event.event.lines.isEmpty
                        ? "—" : event.event.lines.map { "\($0.sku) × \($0.quantity)" }.joined(separator: ", "),
                ]
            },
        ]
        return try await page(
            "document", fields, request: request, context: context, nav: Self.navKey(kind), status: status)
    }

    /// One lifecycle action from the document page. Lines come as `qty_N` (and `second_N`
    /// for damaged or rejected units) per line index; lines left at 0 are not sent.
    func documentAction(
        _ request: Request, _ context: StockroomRequestContext, kind: DocumentKind
    ) async throws
        -> Response
    {
        let entry = Self.kindEntry(kind)
        let id = try context.pathParameter("id")
        let form = context.form
        guard let action = DocumentAction(rawValue: try context.pathParameter("action")), kind.actions.contains(action),
            !action.opens
        else { throw APIError(.notFound, "not_found", "No such action.") }
        guard let record = try await store.document(DocumentKey(kind: kind, id: id)), record.openedHLC != nil else {
            throw APIError(.notFound, "unknown_document", "No \(kind.noun) '\(id.prefix(80))' is known on this node.")
        }
        func refuse(_ message: String) async throws -> Response {
            try await documentPage(
                request, context, kind: kind, id: id, error: message, status: .unprocessableContent)
        }
        var lines: [DocumentLine] = []
        if Self.actions(record).first(where: { $0.action == action })?.lines == true {
            for (index, line) in record.lines.enumerated() {
                let text = (form["qty_\(index)"] ?? "0").trimmingCharacters(in: .whitespaces)
                let secondText = (form["second_\(index)"] ?? "0").trimmingCharacters(in: .whitespaces)
                guard let quantity = Int64(text.isEmpty ? "0" : text), quantity >= 0,
                    let second = Int64(secondText.isEmpty ? "0" : secondText), second >= 0
                else { return try await refuse("Quantities are whole numbers, 0 or more (line \(line.sku)).") }
                if quantity > 0 || second > 0 {
                    lines.append(DocumentLine(sku: line.sku, quantity: quantity, second: second))
                }
            }
            guard !lines.isEmpty else { return try await refuse("Enter a quantity on at least one line.") }
        }
        guard let eventID = form["event_id"], !eventID.isEmpty else {
            return try await refuse("Reload the page and try again.")
        }
        let event = DocumentEvent(
            kind: kind, document: id, event: eventID, action: action,
            location: kind.actingLocation(for: action, location: record.location, counterpart: record.counterpart),
            counterpart: nil, lines: lines, restock: false, backorder: false, expiresAt: nil, occurredAt: nil,
            note: nil)
        do {
            _ = try await store.recordEvent(event, actor: context.principal!.actorName)
        } catch let refusal as DocumentRefusal {
            return try await refuse(refusal.message)
        } catch let violation as OpViolation {
            return try await refuse(violation.description)
        }
        return redirect(
            "/\(entry.path)/\(Self.path(id))?done=" + Self.queryEscape("\(action.rawValue.capitalized) recorded."))
    }

    // MARK: A new order

    func newOrderPage(
        _ request: Request, _ context: StockroomRequestContext, error: String?, form: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let fields: [String: Any] = [
            "error": error ?? "", "form": form, "location": store.homeLocation,
            "rows": (0..<5).map { ["index": $0, "sku": form["sku_\($0)"] ?? "", "qty": form["qty_\($0)"] ?? ""] },
        ]
        return try await page("order-new", fields, request: request, context: context, nav: "orders", status: status)
    }

    /// Places an order (source `web`, the reference typed in) at this node's location.
    func placeOrder(_ request: Request, _ context: StockroomRequestContext) async throws -> Response {
        var form = context.form
        form["_csrf"] = nil
        let reference = (form["reference"] ?? "").trimmingCharacters(in: .whitespaces)
        if let problem = InputRules.identifierProblem(reference, name: "reference") {
            return try await newOrderPage(request, context, error: problem, form: form, status: .unprocessableContent)
        }
        var lines: [DocumentLine] = []
        for index in 0..<5 {
            let sku = (form["sku_\(index)"] ?? "").trimmingCharacters(in: .whitespaces)
            let qty = (form["qty_\(index)"] ?? "").trimmingCharacters(in: .whitespaces)
            if sku.isEmpty && qty.isEmpty { continue }
            guard let quantity = Int64(qty), quantity > 0 else {
                return try await newOrderPage(
                    request, context, error: "Line \(index + 1): the quantity is a whole number above 0.", form: form,
                    status: .unprocessableContent)
            }
            lines.append(DocumentLine(sku: sku, quantity: quantity))
        }
        guard !lines.isEmpty else {
            return try await newOrderPage(
                request, context, error: "Add at least one line.", form: form, status: .unprocessableContent)
        }
        let id = "web:\(reference)"
        let event = DocumentEvent(
            kind: .order, document: id, event: "place", action: .place, location: store.homeLocation,
            counterpart: nil, lines: lines, restock: false, backorder: false, expiresAt: nil, occurredAt: nil,
            note: nil)
        do {
            _ = try await store.recordEvent(event, actor: context.principal!.actorName)
        } catch let refusal as DocumentRefusal {
            return try await newOrderPage(
                request, context, error: refusal.message, form: form, status: .unprocessableContent)
        } catch let violation as OpViolation {
            return try await newOrderPage(
                request, context, error: violation.description, form: form, status: .unprocessableContent)
        }
        return redirect("/orders/\(Self.path(id))?done=" + Self.queryEscape("Order placed."))
    }
}
