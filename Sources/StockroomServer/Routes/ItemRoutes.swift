import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// The catalogue: `POST/GET /v1/items`, `GET/PATCH/DELETE /v1/items/{sku}`,
/// `POST /v1/import/catalog`.
struct ItemRoutes {
    let store: StockroomStore

    /// Item fields as posted. Every field is optional here; create requires `sku` and
    /// `name`. For PATCH, `null` clears `price` or `threshold`.
    struct Body: Decodable {
        var sku: String?
        var fields = FieldAssignments()

        enum CodingKeys: String, CodingKey {
            case sku, name, description, category, price, barcodes, threshold, priceCents = "price_cents"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sku = try container.decodeIfPresent(String.self, forKey: .sku)
            for (key, field) in [
                (CodingKeys.name, ItemField.name), (.description, .description), (.category, .category),
            ] {
                if let text = try container.decodeIfPresent(String.self, forKey: key) { fields[field] = .text(text) }
            }
            if let codes = try container.decodeIfPresent([String].self, forKey: .barcodes) {
                fields[.barcodes] = .texts(codes)
            }
            switch try container.decodePatch(Int64.self, forKey: .threshold) {
            case .absent: break
            case .null: fields[.threshold] = .null
            case .value(let threshold): fields[.threshold] = .int(threshold)
            }
            switch try container.decodePatch(Int64.self, forKey: .priceCents) {
            case .absent: break
            case .null: fields[.price] = .null
            case .value(let cents): fields[.price] = .int(cents)
            }
            if container.contains(.price) {
                fields[.price] = try Self.price(container)
            }
        }

        /// `price` as a decimal string ("12.99") or a JSON number (12.99), at most two decimals.
        private static func price(_ container: KeyedDecodingContainer<CodingKeys>) throws -> FieldValue {
            if try container.decodeNil(forKey: .price) { return .null }
            if let text = try? container.decode(String.self, forKey: .price) {
                guard let cents = InputRules.parsePriceCents(text) else {
                    throw APIError(
                        .unprocessableContent, "invalid_value", "price '\(text)' is not a decimal like 12.99")
                }
                return .int(cents)
            }
            let number = try container.decode(Double.self, forKey: .price)
            let cents = (number * 100).rounded()
            guard number >= 0, abs(number * 100 - cents) < 1e-6, cents <= Double(InputRules.maxPriceCents) else {
                throw APIError(
                    .unprocessableContent, "invalid_value", "price must be non-negative with at most two decimals")
            }
            return .int(Int64(cents))
        }
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("items/:sku") { request, context -> ItemResponse in
            ItemResponse(
                try await store.item(
                    code: try context.pathParameter("sku"),
                    includeDeleted: try request.queryBool("include_deleted")
                ))
        }
        group.get("items") { request, context -> PageResponse<ItemResponse> in
            let page = try await store.listItems(
                category: request.queryString("category"), text: request.queryString("q"),
                afterSKU: request.queryString("cursor"),
                limit: try request.queryInt("limit", default: 100, range: 1...1000))
            return PageResponse(items: page.items.map(ItemResponse.init), nextCursor: page.next)
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        group.post("items") { request, context -> Response in
            let body = try await RequestDecoding.json(Body.self, from: request)
            guard let sku = body.sku else { throw APIError.badRequest("missing field 'sku'") }
            let item = try await store.createItem(sku: sku, fields: body.fields, actor: context.principal!.actorName)
            return try ItemResponse(item).response(from: request, context: context, status: .created)
        }
        group.patch("items/:sku") { request, context -> ItemResponse in
            let sku = try context.pathParameter("sku")
            let body = try await RequestDecoding.json(Body.self, from: request)
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
            let text = String(buffer: buffer)
            switch CatalogCSV.parse(text) {
            case .failure(let problems):
                var error = APIError(
                    .unprocessableContent, "invalid_catalog",
                    "the CSV has \(problems.all.count) problem(s); nothing was imported")
                error.problems = problems.all.prefix(100).map(\.description)
                throw error
            case .success(let rows):
                let summary = try await store.importItems(rows, actor: context.principal!.actorName)
                return ImportResponse(created: summary.created, updated: summary.updated, unchanged: summary.unchanged)
            }
        }
    }
}

struct ImportResponse: ResponseEncodable {
    var created: Int
    var updated: Int
    var unchanged: Int
}
