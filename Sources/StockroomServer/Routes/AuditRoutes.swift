import Hummingbird
import StockroomCore
import StockroomStore

/// The audit trail: `GET /v1/ops`, `GET /v1/items/{sku}/history`, `GET /v1/conflicts`,
/// and `POST /v1/conflicts/{id}/resolve` (a manager's or admin's resolution, with a reason).
struct AuditRoutes {
    let store: StockroomStore

    struct ResolveInput: Decodable {
        var reason: String
    }

    func registerResolve(on group: RouterGroup<StockroomRequestContext>) {
        group.post("conflicts/:id/resolve") { request, context -> ConflictResponse in
            let text = try context.pathParameter("id")
            guard let id = Int64(text), id > 0,
                try await store.conflicts(includeResolved: true, limit: 1, id: id).first != nil
            else {
                throw APIError(.notFound, "not_found", "no conflict '\(text.prefix(32))'; GET /v1/conflicts lists them")
            }
            let body = try await RequestDecoding.json(ResolveInput.self, from: request)
            let reason = body.reason.trimmingCharacters(in: .whitespaces)
            guard !reason.isEmpty else { throw InputError("invalid_value", "say why the conflict is resolved") }
            return ConflictResponse(
                try await store.resolveConflict(id: id, reason: reason, actor: context.principal!.actorName))
        }
    }

    func registerAudit(on group: RouterGroup<StockroomRequestContext>) {
        group.get("ops") { request, context -> PageResponse<OpResponse> in
            var query = OpQuery()
            query.afterLSN = Int64(try request.queryInt("cursor", default: 0, range: 0...Int.max))
            query.sku = request.queryString("sku")
            query.origin = request.queryString("origin")
            query.actor = request.queryString("actor")
            query.device = request.queryString("device")
            if let kind = request.queryString("kind") {
                guard let parsed = OpKind.allCases.first(where: { $0.name == kind }) else {
                    throw APIError.badRequest(
                        "kind must be one of: \(OpKind.allCases.map(\.name).joined(separator: ", "))")
                }
                query.kind = parsed
            }
            query.limit = try request.queryInt("limit", default: 100, range: 1...1000)
            let page = try await store.ops(query)
            return PageResponse(items: page.items.map(OpResponse.init), nextCursor: page.next)
        }
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("items/:sku/history") { request, context -> PageResponse<OpResponse> in
            let item = try await store.item(sku: try context.pathParameter("sku"), includeDeleted: true)
            var query = OpQuery()
            query.sku = item.sku
            query.newestFirst = true
            if request.queryString("cursor") != nil {
                query.beforeLSN = Int64(try request.queryInt("cursor", default: 0, range: 1...Int.max))
            }
            query.limit = try request.queryInt("limit", default: 100, range: 1...1000)
            let page = try await store.ops(query)
            return PageResponse(items: page.items.map(OpResponse.init), nextCursor: page.next)
        }
        group.get("conflicts") { request, context -> PageResponse<ConflictResponse> in
            let conflicts = try await store.conflicts(
                includeResolved: try request.queryBool("all"),
                limit: try request.queryInt("limit", default: 100, range: 1...1000))
            return PageResponse(items: conflicts.map(ConflictResponse.init), nextCursor: nil)
        }
    }
}
