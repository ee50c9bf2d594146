import Hummingbird
import StockroomCore
import StockroomStore

/// Orders, transfers, purchase orders and holds: `GET/POST /v1/{path}`,
/// `GET /v1/{path}/{id}`, `GET/POST /v1/{path}/{id}/events`. One set of routes per kind of
/// document; the lifecycle decides everything (``DocumentLifecycle``).
struct DocumentRoutes {
    let store: StockroomStore

    static let paths: [(kind: DocumentKind, path: String)] = [
        (.order, "orders"), (.transfer, "transfers"), (.purchaseOrder, "purchase-orders"), (.hold, "holds"),
    ]

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        for (kind, path) in Self.paths {
            group.get(RouterPath(path)) { request, context -> PageResponse<DocumentResponse> in
                var query = DocumentQuery(kind: kind)
                query.location = request.queryString("location")
                if let status = request.queryString("status") {
                    guard let parsed = DocumentState.Status(rawValue: status) else {
                        throw APIError.badRequest("query parameter 'status' is not a status of a \(kind.noun)")
                    }
                    query.status = parsed
                }
                query.afterID = request.queryString("cursor")
                query.limit = try request.queryInt("limit", default: 100, range: 1...1000)
                let page = try await store.documents(query)
                let now = store.wallClockMillis()
                return PageResponse(
                    items: page.items.map { DocumentResponse(record: $0, now: now) }, nextCursor: page.next)
            }
            group.get(RouterPath("\(path)/:id")) { _, context -> DocumentResponse in
                DocumentResponse(
                    record: try await self.find(kind, try context.pathParameter("id")), now: store.wallClockMillis())
            }
            group.get(RouterPath("\(path)/:id/events")) { _, context -> DocumentEventsResponse in
                let key = DocumentKey(kind: kind, id: try context.pathParameter("id"))
                _ = try await self.find(kind, key.id)
                let events = try await store.documentEvents(key)
                return DocumentEventsResponse(
                    items: events.map { entry in
                        DocumentEventResponse(
                            op: entry.op.description, at: Timestamps.iso(entry.hlc), actor: entry.actor,
                            eventID: entry.event.event, action: entry.event.action.rawValue,
                            location: entry.event.location,
                            lines: entry.event.lines.map { .init(sku: $0.sku, qty: $0.quantity, second: $0.second) },
                            note: entry.event.note,
                            occurredAt: entry.event.occurredAt.map { Timestamps.iso(HLC(millis: $0, logical: 0)) })
                    })
            }
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        for (kind, path) in Self.paths {
            group.post(RouterPath(path)) { request, context -> Response in
                let body = try await RequestDecoding.json(DocumentInput.self, from: request)
                let id = try body.documentID(for: kind)
                var event = try body.event(
                    kind: kind, document: id, action: kind == .order || kind == .hold ? .place : .create,
                    home: store.homeLocation, now: store.wallClockMillis())
                if kind == .transfer { event.location = body.location ?? store.homeLocation }
                let outcome = try await store.recordEvent(event, actor: context.principal!.actorName)
                return try DocumentResponse(
                    record: outcome.document, replayed: outcome.replayed, ops: outcome.ops.map(\.description),
                    now: store.wallClockMillis()
                ).response(from: request, context: context, status: outcome.replayed ? .ok : .created)
            }
            group.post(RouterPath("\(path)/:id/events")) { request, context -> Response in
                let id = try context.pathParameter("id")
                let body = try await RequestDecoding.json(DocumentInput.self, from: request)
                var event = try body.event(
                    kind: kind, document: id, action: nil, home: store.homeLocation, now: store.wallClockMillis())
                let record = try await self.find(kind, id)
                if body.location == nil {
                    event.location = kind.actingLocation(
                        for: event.action, location: record.location, counterpart: record.counterpart)
                }
                let outcome = try await store.recordEvent(event, actor: context.principal!.actorName)
                return try DocumentResponse(
                    record: outcome.document, replayed: outcome.replayed, ops: outcome.ops.map(\.description),
                    now: store.wallClockMillis()
                ).response(from: request, context: context, status: outcome.replayed ? .ok : .created)
            }
        }
    }

    private func find(_ kind: DocumentKind, _ id: String) async throws -> DocumentRecord {
        guard let record = try await store.document(DocumentKey(kind: kind, id: id)), record.openedHLC != nil else {
            throw APIError(
                .notFound, "unknown_document", "no \(kind.noun) '\(id.prefix(129))' is known on this node")
        }
        return record
    }
}
