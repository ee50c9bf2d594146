import Hummingbird
import StockroomCore
import StockroomStore

/// `GET /v1/stock` (list with filters) and `GET /v1/stock/{code}`.
struct StockRoutes {
    let store: StockroomStore

    func register(on group: RouterGroup<StockroomRequestContext>) {
        group.get("stock/:code") { request, context -> StockResponse in
            let code = try context.pathParameter("code")
            let level = try await store.stock(code: code, location: request.queryString("location"))
            var answer = StockResponse(level)
            answer.promise = try await store.promiseRights(StockKey(sku: level.sku, location: level.location)).map(
                PromiseResponse.init)
            return answer
        }
        group.get("stock") { request, context -> PageResponse<StockResponse> in
            var query = StockQuery(location: request.queryString("location") ?? store.homeLocation)
            query.category = request.queryString("category")
            query.text = request.queryString("q")
            query.belowThreshold = try request.queryBool("below_threshold")
            query.afterSKU = request.queryString("cursor")
            query.limit = try request.queryInt("limit", default: 100, range: 1...1000)
            let page = try await store.listStock(query)
            return PageResponse(items: page.items.map(StockResponse.init), nextCursor: page.next)
        }
    }
}
