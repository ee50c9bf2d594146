public import AsyncHTTPClient
public import Foundation
public import StockroomCore

/// `stockroom notify test` and `POST /v1/notifications/test`: sends one message now,
/// through the configured channel, and answers exactly what the other end said. Nothing is
/// queued: a test that fails is reported, not retried.
public enum NotificationTest {
    public struct Refused: Error, CustomStringConvertible {
        public var code: String
        public var description: String
    }

    public static func send(
        channel name: String, to address: String, configuration: NotifyConfiguration?,
        httpClient: HTTPClient = .shared
    ) async throws -> (outcome: String, answer: String) {
        guard let channel = AlertRecipient.Channel(rawValue: name) else {
            throw Refused(code: "invalid_value", description: "channel must be email, sms, webhook or slack")
        }
        if let problem = AlertRecipient.addressProblem(address, channel: channel) {
            throw Refused(code: "invalid_value", description: problem)
        }
        guard let configuration else {
            throw Refused(
                code: "not_configured",
                description: "no notify file: start the node with --notify FILE (README \"Alerts\")")
        }
        guard let sender = DeliveryService.channels(configuration, httpClient: httpClient)[channel] else {
            throw Refused(
                code: "not_configured",
                description: "channel \(name) is not configured: add its section to the notify file")
        }
        let id = "test-\(UInt64(Date().timeIntervalSince1970 * 1000))"
        let text = "This is a test message from Stockroom. If you can read it, \(name) alerts reach you."
        let message = RenderedMessage(
            id: id, type: "test", subject: "Stockroom test message", text: text, html: "<p>\(text)</p>",
            json: try JSONSerialization.data(
                withJSONObject: ["type": "test", "timestamp": ISO8601DateFormatter().string(from: Date()), "data": [:]]
            ),
            attachment: nil)
        switch await sender.send(message, to: address) {
        case .sent(let detail): return ("sent", detail)
        case .retry(let detail): return ("failed, would retry", detail)
        case .dead(let detail): return ("failed, would not retry", detail)
        }
    }
}
