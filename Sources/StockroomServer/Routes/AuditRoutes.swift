import Hummingbird
import StockroomCore
import StockroomStore

/// The audit trail: `GET /v1/ops`, `GET /v1/items/{sku}/history`, `GET /v1/conflicts`.
struct AuditRoutes {
    let store: StockroomStore

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
