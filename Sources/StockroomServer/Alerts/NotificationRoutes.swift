import Foundation
import Hummingbird
import StockroomCore
import StockroomNotify
import StockroomStore

/// The outbox, for an operator: `GET /v1/notifications` (`?status=dead` shows what will
/// never be delivered and why), `GET /v1/notifications/message?id=` with every attempt,
/// `POST /v1/notifications/retry?id=`, and `POST /v1/notifications/test`, which sends at
/// once and answers exactly what the server said.
struct NotificationRoutes {
    let store: StockroomStore
    let notify: NotifyConfiguration?

    struct MessageResponse: ResponseEncodable {
        var id: String
        var recipient: String
        var channel: String
        var address: String
        var topic: String
        var subject: String
        var alert: String?
        var document: String?
        var status: String
        var attempts: Int
        var createdAt: String
        var dueAt: String
        var finishedAt: String?
        var lastError: String?
        var history: [Attempt]

        struct Attempt: Encodable {
            var attempt: Int
            var at: String
            var outcome: String
            var detail: String
        }

        enum CodingKeys: String, CodingKey {
            case id, recipient, channel, address, topic, subject, alert, document, status, attempts, history
            case createdAt = "created_at", dueAt = "due_at", finishedAt = "finished_at", lastError = "last_error"
        }

        init(_ message: OutboxMessage, attempts: [(attempt: Int, at: UInt64, outcome: String, detail: String)]) {
            id = message.id
            recipient = message.recipient
            channel = message.channel.rawValue
            address = message.address
            topic = message.topic
            subject = message.subject
            alert = message.episode
            document = message.document
            status = message.status
            self.attempts = message.attempts
            createdAt = Timestamps.iso(HLC(millis: message.createdAt))
            dueAt = Timestamps.iso(HLC(millis: message.dueAt))
            finishedAt = message.finishedAt.map { Timestamps.iso(HLC(millis: $0)) }
            lastError = message.lastError
            history = attempts.map {
                Attempt(
                    attempt: $0.attempt, at: Timestamps.iso(HLC(millis: $0.at)), outcome: $0.outcome, detail: $0.detail)
            }
        }
    }

    struct MessagesResponse: ResponseEncodable {
        var items: [MessageResponse]
    }

    struct TestInput: Decodable {
        var channel: String
        var to: String
    }

    struct TestResponse: ResponseEncodable {
        var channel: String
        var to: String
        var outcome: String
        var answer: String
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("notifications") { request, _ -> MessagesResponse in
            let status = request.queryString("status")
            if let status, !["pending", "sent", "dead", "cancelled"].contains(status) {
                throw APIError.badRequest("query parameter 'status' must be pending, sent, dead or cancelled")
            }
            let messages = try await store.outboxMessages(
                status: status, limit: try request.queryInt("limit", default: 100, range: 1...1000))
            return MessagesResponse(items: messages.map { MessageResponse($0, attempts: []) })
        }
        group.get("notifications/message") { request, _ -> MessageResponse in
            let id = try Self.id(request)
            guard let message = try await store.outboxMessage(id) else { throw Self.notFound(id) }
            return MessageResponse(message, attempts: try await store.deliveryAttempts(id))
        }
    }

    func registerAdmin(on group: RouterGroup<StockroomRequestContext>) {
        group.post("notifications/retry") { request, _ -> MessageResponse in
            let id = try Self.id(request)
            guard let message = try await store.outboxMessage(id) else { throw Self.notFound(id) }
            guard try await store.retryMessage(id) else {
                throw APIError(
                    .conflict, "not_retryable",
                    "message '\(id.prefix(80))' is \(message.status); only dead or cancelled messages are sent again")
            }
            return MessageResponse(try await store.outboxMessage(id)!, attempts: try await store.deliveryAttempts(id))
        }
        group.post("notifications/test") { request, _ -> TestResponse in
            let body = try await RequestDecoding.json(TestInput.self, from: request)
            let result = try await NotificationTest.send(channel: body.channel, to: body.to, configuration: notify)
            return TestResponse(channel: body.channel, to: body.to, outcome: result.outcome, answer: result.answer)
        }
    }

    static func id(_ request: Request) throws -> String {
        guard let id = request.queryString("id") else { throw APIError.badRequest("name the message with ?id=…") }
        return id
    }

    static func notFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "no message '\(id.prefix(80))'; GET /v1/notifications lists them")
    }
}
