import Hummingbird
import NIOCore
import StockroomStore

/// `/healthz` (open), `/metrics`, `/v1/status`.
struct SystemRoutes {
    let store: StockroomStore
    let metrics: NodeMetrics
    let role: String

    struct StatusResponse: ResponseEncodable {
        var node: String
        var role: String
        var version: String
        var location: String
        var ops: Int64
        var items: Int64
        var stockCells: Int64
        var openConflicts: Int64
        var versionVector: [String: UInt64]

        enum CodingKeys: String, CodingKey {
            case node, role, version, location, ops, items
            case stockCells = "stock_cells", openConflicts = "open_conflicts", versionVector = "version_vector"
        }
    }

    func registerHealth(on router: Router<StockroomRequestContext>) {
        router.get("healthz") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
    }

    func registerMetrics(on group: RouterGroup<StockroomRequestContext>) {
        group.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition(store: store))))
        }
    }

    func registerStatus(on group: RouterGroup<StockroomRequestContext>) {
        group.get("status") { _, _ -> StatusResponse in
            let statistics = try await store.statistics()
            let knowledge = store.writeContext.knowledge
            return StatusResponse(
                node: store.nodeID.rawValue, role: role, version: StockroomVersion.current,
                location: store.homeLocation, ops: statistics.ops, items: statistics.items,
                stockCells: statistics.cells, openConflicts: statistics.openConflicts,
                versionVector: Dictionary(
                    uniqueKeysWithValues: knowledge.sortedEntries.map { ($0.origin.rawValue, $0.seq) }))
        }
    }
}

public enum StockroomVersion {
    public static let current = "0.1.0"
}
