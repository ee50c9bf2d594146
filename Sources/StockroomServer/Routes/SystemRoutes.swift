import Foundation
import Hummingbird
import NIOCore
import StockroomStore

/// `/healthz` and `/readyz` (open), `/metrics`, `/v1/status`.
struct SystemRoutes {
    let store: StockroomStore
    let metrics: NodeMetrics
    let role: String
    let probe: NodeProbe

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

    /// `/healthz`: liveness. Answers 200 while the process serves HTTP, with what this
    /// binary is (release, schema, protocols); reads nothing, so a stuck disk does not
    /// make a supervisor restart a node that is only slow. `/readyz`: whether the node can
    /// take writes now (``NodeProbe/readiness()``): 200, or 503 naming each failed check
    /// and what to do, for a load balancer in front of hub processes.
    func registerHealth(on router: Router<StockroomRequestContext>) {
        let health = ByteBuffer(string: Self.healthBody(role: role))
        router.get("healthz") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: health))
        }
        router.get("readyz") { _, _ -> Response in
            let checks = await probe.readiness()
            let failed = checks.filter { !$0.ok }
            var body: [String: Any] = [
                "ready": failed.isEmpty,
                "checks": Dictionary(
                    uniqueKeysWithValues: checks.map { ($0.name, ["ok": $0.ok, "detail": $0.detail] as [String: Any]) }),
            ]
            if !failed.isEmpty {
                body["error"] = [
                    "code": "not_ready",
                    "message": failed.map { "\($0.name): \($0.detail)" }.joined(separator: "; "),
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            return Response(
                status: failed.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    static func healthBody(role: String) -> String {
        let body: [String: Any] = [
            "status": "ok", "role": role, "version": StockroomVersion.current, "schema": StockroomVersion.schema,
            "schema_number": StockroomVersion.schemaNumber, "postgres_schema": StockroomVersion.postgresSchema,
            "protocols": Array(StockroomVersion.protocols),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func registerMetrics(on group: RouterGroup<StockroomRequestContext>) {
        group.get("metrics") { _, _ -> Response in
            await probe.refresh(metrics.factoryForServices)
            metrics.recordBuild(role: role)
            return Response(
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
