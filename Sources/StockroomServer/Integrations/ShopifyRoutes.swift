import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import StockroomCore
import StockroomStore

/// `POST /v1/integrations/shopify/webhooks`: Shopify's order, fulfillment and refund
/// webhooks, authenticated by their HMAC alone (no bearer token), and
/// `GET /v1/integrations/shopify/deliveries` (admin): what each delivery was answered.
///
/// A delivery is verified (`X-Shopify-Hmac-Sha256`, HMAC-SHA256 of the raw body with the
/// shop's secret, base64), recognised when Shopify sends it again (`X-Shopify-Webhook-Id`),
/// turned into document events by ``ShopifyWebhook`` and recorded in one transaction: all
/// of it or nothing. Every answer, refusals included, is recorded with its reason.
struct ShopifyRoutes {
    let store: StockroomStore
    let configuration: ShopifyConfiguration?

    static let hmacHeader = HTTPField.Name("X-Shopify-Hmac-Sha256")!
    static let topicHeader = HTTPField.Name("X-Shopify-Topic")!
    static let webhookIDHeader = HTTPField.Name("X-Shopify-Webhook-Id")!
    static let maxBody = 2 << 20

    struct Answer: ResponseEncodable {
        var webhookID: String
        var topic: String
        /// applied, duplicate, ignored, or nothing_left (a fulfillment or refund already
        /// recorded here).
        var result: String
        var documents: [String]

        enum CodingKeys: String, CodingKey {
            case topic, result, documents
            case webhookID = "webhook_id"
        }
    }

    struct DeliveriesResponse: ResponseEncodable {
        struct Delivery: Encodable, Sendable {
            var id: String
            var topic: String
            var receivedAt: String
            var status: Int
            var detail: String

            enum CodingKeys: String, CodingKey {
                case id, topic, status, detail
                case receivedAt = "received_at"
            }
        }
        var items: [Delivery]
    }

    func registerWebhook(on router: Router<StockroomRequestContext>) {
        router.post("v1/integrations/shopify/webhooks") { request, context -> Response in
            guard let configuration else {
                throw APIError(
                    .notFound, "not_configured",
                    "the Shopify integration is not configured on this node; start it with --shopify FILE")
            }
            let body = try await RequestDecoding.body(request, limit: Self.maxBody)
            let bytes = Array(body.readableBytesView)
            let topic = request.headers[Self.topicHeader] ?? ""
            let webhookID = request.headers[Self.webhookIDHeader] ?? ""
            func record(_ status: Int, _ detail: String) async {
                let id = webhookID.isEmpty ? "no-id-\(UUID().uuidString)" : String(webhookID.prefix(128))
                try? await store.recordWebhookDelivery(
                    WebhookDelivery(
                        id: id, source: "shopify", topic: String(topic.prefix(64)),
                        receivedAtMillis: store.wallClockMillis(), status: status, detail: String(detail.prefix(500))))
            }
            guard Self.verify(bytes, signature: request.headers[Self.hmacHeader], secret: configuration.secret) else {
                await record(401, "bad signature")
                throw APIError(
                    .unauthorized, "bad_signature",
                    "X-Shopify-Hmac-Sha256 is missing or does not match the body signed with the shop's secret")
            }
            guard InputRules.isIdentifier(webhookID) else {
                await record(400, "no webhook id")
                throw APIError.badRequest("X-Shopify-Webhook-Id is missing or malformed")
            }
            if let earlier = try await store.webhookDelivery(id: webhookID), (200..<300).contains(earlier.status) {
                return try Answer(webhookID: webhookID, topic: topic, result: "duplicate", documents: []).response(
                    from: request, context: context, status: .ok)
            }
            do {
                let answer = try await self.apply(topic: topic, body: Data(bytes), configuration: configuration)
                await record(200, "\(answer.result): \(answer.documents.joined(separator: ", "))")
                return try Answer(
                    webhookID: webhookID, topic: topic, result: answer.result, documents: answer.documents
                ).response(from: request, context: context, status: .ok)
            } catch {
                let mapped = ErrorMiddleware<StockroomRequestContext>.apiError(for: error, context: context)
                await record(Int(mapped.status.code), "\(mapped.code): \(mapped.message)")
                throw mapped
            }
        }
    }

    func registerDeliveries(on group: RouterGroup<StockroomRequestContext>) {
        group.get("integrations/shopify/deliveries") { request, _ -> DeliveriesResponse in
            let limit = try request.queryInt("limit", default: 100, range: 1...1000)
            return DeliveriesResponse(
                items: try await store.webhookDeliveries(limit: limit).map {
                    .init(
                        id: $0.id, topic: $0.topic,
                        receivedAt: Timestamps.iso(HLC(millis: $0.receivedAtMillis, logical: 0)), status: $0.status,
                        detail: $0.detail)
                })
        }
    }

    /// HMAC-SHA256 of the raw body, base64, compared in constant time.
    static func verify(_ body: [UInt8], signature: String?, secret: [UInt8]) -> Bool {
        guard let signature, let given = Data(base64Encoded: signature) else { return false }
        let key = SymmetricKey(data: secret)
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw APIError(
                .unprocessableContent, "invalid_payload", "the webhook body is not a Shopify \(type): \(error)")
        }
    }

    private func location(of order: Int64) async throws -> (DocumentRecord, String) {
        let key = DocumentKey(kind: .order, id: ShopifyWebhook.documentID(order: order))
        guard let record = try await store.document(key), record.openedHLC != nil else {
            // Shopify does not promise order: orders/create may come after this. A 404 makes
            // it retry, by when the order is here.
            throw APIError(
                .notFound, "unknown_document", "order \(key.id) is not known here yet; Shopify will retry")
        }
        return (record, record.location)
    }

    private func apply(
        topic: String, body: Data, configuration: ShopifyConfiguration
    ) async throws -> (
        result: String, documents: [String]
    ) {
        let mapping = configuration.mapping
        do {
            switch ShopifyWebhook.Topic(rawValue: topic) {
            case .ordersCreate:
                let order = try decode(ShopifyWebhook.Order.self, body)
                var event = try ShopifyWebhook.placement(order, mapping: mapping, occurredAt: nil)
                let outcome: DocumentOutcome
                do {
                    outcome = try await store.recordEvent(event, actor: "shopify")
                } catch let refusal as DocumentRefusal
                    where refusal.code == .insufficientAllowance && configuration.backorderWhenShort
                {
                    event.backorder = true
                    outcome = try await store.recordEvent(event, actor: "shopify")
                }
                return (outcome.replayed ? "duplicate" : "applied", [outcome.document.key.id])
            case .ordersCancelled:
                let order = try decode(ShopifyWebhook.Order.self, body)
                let (_, location) = try await location(of: order.id)
                let outcome = try await store.recordEvent(
                    ShopifyWebhook.cancellation(order, location: location), actor: "shopify")
                return (outcome.replayed ? "duplicate" : "applied", [outcome.document.key.id])
            case .fulfillmentsCreate:
                let fulfillment = try decode(ShopifyWebhook.Fulfillment.self, body)
                let (record, location) = try await location(of: fulfillment.orderID)
                guard var event = try ShopifyWebhook.fulfilment(fulfillment, mapping: mapping, location: location)
                else {
                    return ("ignored", [record.key.id])
                }
                // Units a store already scanned out against the order are not fulfilled twice.
                event.lines = event.lines.compactMap { line in
                    let open = record.lines.first { $0.sku == line.sku }.map { $0.quantity - $0.done - $0.second } ?? 0
                    return open > 0 ? DocumentLine(sku: line.sku, quantity: min(line.quantity, open)) : nil
                }
                guard !event.lines.isEmpty || record.lines.isEmpty else { return ("nothing_left", [record.key.id]) }
                let outcome = try await store.recordEvent(event, actor: "shopify")
                return (outcome.replayed ? "duplicate" : "applied", [outcome.document.key.id])
            case .refundsCreate:
                let refund = try decode(ShopifyWebhook.Refund.self, body)
                let (record, location) = try await location(of: refund.orderID)
                var events = try ShopifyWebhook.refund(refund, mapping: mapping, location: location)
                for index in events.indices {
                    events[index].lines = events[index].lines.compactMap { line in
                        guard let held = record.lines.first(where: { $0.sku == line.sku }) else { return line }
                        let room =
                            events[index].action == .return
                            ? held.done - held.received : held.quantity - held.done - held.second
                        return room > 0 ? DocumentLine(sku: line.sku, quantity: min(line.quantity, room)) : nil
                    }
                }
                events.removeAll { $0.lines.isEmpty }
                guard !events.isEmpty else { return ("nothing_left", [record.key.id]) }
                let outcomes = try await store.recordEvents(events, actor: "shopify")
                return (outcomes.allSatisfy(\.replayed) ? "duplicate" : "applied", [record.key.id])
            case nil:
                return ("ignored", [])
            }
        } catch let problem as ShopifyWebhook.Problem {
            throw APIError(.unprocessableContent, problem.code, problem.message)
        }
    }
}
