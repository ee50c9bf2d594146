import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// The catalogue: `POST/GET /v1/items`, `GET/PATCH/DELETE /v1/items/{sku}`,
/// `POST /v1/import/catalog`.
struct ItemRoutes {
    let store: StockroomStore

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("items/:sku") { request, context -> ItemResponse in
            ItemResponse(
                try await store.item(
                    code: try context.pathParameter("sku"),
                    includeDeleted: try request.queryBool("include_deleted")
                ))
        }
        group.get("items") { request, context -> PageResponse<ItemResponse> in
            // A bound on the search text: SQLite's LIKE refuses patterns over 50,000 bytes
            // (a 500 for any scanner token, finding 11), and no name is over 200.
            let text = request.queryString("q")
            if let text, text.utf8.count > InputRules.maxNameLength {
                throw APIError.badRequest("query parameter 'q' must be at most \(InputRules.maxNameLength) bytes")
            }
            let page = try await store.listItems(
                category: request.queryString("category"), text: text,
                afterSKU: request.queryString("cursor"),
                limit: try request.queryInt("limit", default: 100, range: 1...1000))
            return PageResponse(items: page.items.map(ItemResponse.init), nextCursor: page.next)
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        group.post("items") { request, context -> Response in
            let body = try await RequestDecoding.json(ItemInput.self, from: request)
            guard let sku = body.sku else { throw APIError.badRequest("missing field 'sku'") }
            let item = try await store.createItem(sku: sku, fields: body.fields, actor: context.principal!.actorName)
            return try ItemResponse(item).response(from: request, context: context, status: .created)
        }
        group.patch("items/:sku") { request, context -> ItemResponse in
            let sku = try context.pathParameter("sku")
            let body = try await RequestDecoding.json(ItemInput.self, from: request)
            if let bodySKU = body.sku, bodySKU != sku {
                throw APIError(.unprocessableContent, "invalid_value", "a SKU cannot be changed; create a new item")
            }
            return ItemResponse(
                try await store.updateItem(sku: sku, fields: body.fields, actor: context.principal!.actorName))
        }
        group.delete("items/:sku") { request, context -> Response in
            try await store.deleteItem(sku: try context.pathParameter("sku"), actor: context.principal!.actorName)
            return Response(status: .noContent)
        }
        group.post("import/catalog") { request, context -> ImportResponse in
            let buffer = try await RequestDecoding.body(request, limit: BodyLimits.catalogCSV)
            func refusal(_ problems: CatalogCSV.Problems) -> APIError {
                var error = APIError(
                    .unprocessableContent, "invalid_catalog",
                    "the CSV has \(problems.all.count) problem(s); nothing was imported")
                error.problems = problems.all.prefix(100).map(\.description)
                return error
            }
            switch CatalogCSV.parse(bytes: buffer.readableBytesView) {
            case .failure(let problems): throw refusal(problems)
            case .success(let rows):
                do {
                    let summary = try await store.importItems(rows, actor: context.principal!.actorName)
                    return ImportResponse(
                        created: summary.created, updated: summary.updated, unchanged: summary.unchanged)
                } catch let problems as CatalogCSV.Problems {
                    throw refusal(problems)
                }
            }
        }
    }
}

struct ImportResponse: ResponseEncodable {
    var created: Int
    var updated: Int
    var unchanged: Int
}
