import CoreMetrics
import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// `POST /v1/scans` and `POST /v1/scans/batch`.
struct ScanRoutes {
    let store: StockroomStore
    let metrics: NodeMetrics

    /// A scan as posted. `id` may be a string or an integer (scanners differ).
    struct Body: Decodable {
        var id: String
        var code: String
        var qty: Int64
        var reason: String
        var location: String?
        var device: String?

        enum CodingKeys: String, CodingKey { case id, code, qty, reason, location, device }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // String first: it is what most scanners send, and a failed attempt builds
            // and throws a DecodingError, which showed in the batch endpoint's profile.
            if let text = try? container.decode(String.self, forKey: .id) {
                id = text
            } else {
                id = String(try container.decode(Int64.self, forKey: .id))
            }
            code = try container.decode(String.self, forKey: .code)
            qty = try container.decode(Int64.self, forKey: .qty)
            reason = try container.decode(String.self, forKey: .reason)
            location = try container.decodeIfPresent(String.self, forKey: .location)
            device = try container.decodeIfPresent(String.self, forKey: .device)
        }

        /// Checks what JSON types cannot: identifier shapes and the reason.
        func command() throws -> ScanCommand {
            for (name, value) in [("id", id), ("code", code), ("location", location), ("device", device)] {
                if let value, !InputRules.isIdentifier(value) {
                    throw APIError(
                        .unprocessableContent, "invalid_value",
                        "\(name) must be 1-\(InputRules.maxIdentifierLength) printable ASCII characters")
                }
            }
            guard let action = ScanAction(reason: reason) else {
                throw APIError(
                    .unprocessableContent, "unknown_reason",
                    "reason '\(reason)' is not one of: \(ScanAction.names.joined(separator: ", "))")
            }
            if case .failure(let problem) = action.signedQuantity(qty) {
                throw APIError(.unprocessableContent, "invalid_quantity", problem.message)
            }
            return ScanCommand(
                scanID: id, code: code, quantity: qty, action: action, location: location, device: device)
        }
    }

    struct BatchBody: Decodable {
        var scans: [Body]
    }

    func register(on group: RouterGroup<StockroomRequestContext>) {
        group.post("scans") { request, context -> Response in
            let started = ContinuousClock.now
            do {
                let command = try await RequestDecoding.json(Body.self, from: request).command()
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
                let body = try await RequestDecoding.json(BatchBody.self, from: request, limit: BodyLimits.batch)
                guard !body.scans.isEmpty, body.scans.count <= BodyLimits.maxBatchScans else {
                    throw APIError(
                        .unprocessableContent, "invalid_batch",
                        "a batch holds 1 to \(BodyLimits.maxBatchScans) scans; split larger ones")
                }
                let commands = try body.scans.enumerated().map { index, scan in
                    do {
                        return try scan.command()
                    } catch var error as APIError {
                        error.index = index
                        error.message =
                            "scan \(index) of the batch: \(error.message); nothing of the batch was recorded"
                        throw error
                    }
                }
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
