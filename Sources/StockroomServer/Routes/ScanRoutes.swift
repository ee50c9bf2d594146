import CoreMetrics
import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// `POST /v1/scans` and `POST /v1/scans/batch`.
struct ScanRoutes {
    let store: StockroomStore
    let metrics: NodeMetrics

    func register(on group: RouterGroup<StockroomRequestContext>) {
        group.post("scans") { request, context -> Response in
            let started = ContinuousClock.now
            do {
                let command = try await RequestDecoding.json(ScanInput.self, from: request).command()
                if command.reference != nil {
                    let outcome = try await store.recordDocumentScan(command, actor: context.principal!.actorName)
                    metrics.scans.increment()
                    return try DocumentResponse(
                        record: outcome.document, replayed: outcome.replayed, ops: outcome.ops.map(\.description),
                        now: store.wallClockMillis()
                    ).response(from: request, context: context, status: outcome.replayed ? .ok : .created)
                }
                let result = try await store.recordScan(command, actor: context.principal!.actorName)
                metrics.scans.increment()
                metrics.scanLatency.recordInterval(since: started)
                return try ScanResponse(result).response(
                    from: request, context: context, status: result.replayed ? .ok : .created)
            } catch {
                metrics.scanErrors.increment()
                throw error
            }
        }
        group.post("scans/batch") { request, context -> Response in
            let started = ContinuousClock.now
            do {
                let commands = try await RequestDecoding.json(
                    ScanBatchInput.self, from: request, limit: BodyLimits.batch
                ).commands()
                let results = try await store.recordScans(commands, actor: context.principal!.actorName)
                metrics.scans.increment(by: results.count)
                metrics.scanLatency.recordInterval(since: started)
                return try ScanBatchResponse(results: results.map(ScanResponse.init)).response(
                    from: request, context: context, status: .created)
            } catch {
                metrics.scanErrors.increment()
                throw error
            }
        }
    }
}

extension ResponseEncodable {
    func response(
        from request: Request, context: StockroomRequestContext, status: HTTPResponse.Status
    ) throws
        -> Response
    {
        var response = try context.responseEncoder.encode(self, from: request, context: context)
        response.status = status
        return response
    }
}

extension CoreMetrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
