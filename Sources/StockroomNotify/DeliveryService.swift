public import AsyncHTTPClient
public import CoreMetrics
public import Foundation
public import Logging
public import ServiceLifecycle
public import StockroomCore
public import StockroomStore

/// Delivers the outbox (section 11.7): every second, claims what is due, renders it,
/// sends it through its channel, and records the attempt and the answer. A retryable
/// failure waits with exponential backoff and jitter (30 s doubling to 1 h, ±20 %), across
/// restarts, since the schedule is in the database; a permanent one (4xx, SMTP 5xx, bad
/// credentials) or the 12th failure marks the message dead, and it is shown in
/// `GET /v1/notifications`. A crash between a send and its record sends once more, with
/// the same message id.
public struct DeliveryService: Service {
    let store: StockroomStore
    let configuration: NotifyConfiguration
    let channels: [AlertRecipient.Channel: any NotificationChannel]
    let renderer: MessageRenderer
    let logger: Logger
    let metrics: any MetricsFactory
    let interval: Duration

    public init(
        store: StockroomStore, configuration: NotifyConfiguration, httpClient: HTTPClient, logger: Logger,
        metrics: any MetricsFactory, interval: Duration = .seconds(1)
    ) {
        self.store = store
        self.configuration = configuration
        self.channels = Self.channels(configuration, httpClient: httpClient)
        self.renderer = MessageRenderer(store: store)
        self.logger = logger
        self.metrics = metrics
        self.interval = interval
    }

    public static func channels(
        _ configuration: NotifyConfiguration, httpClient: HTTPClient
    ) -> [AlertRecipient.Channel:
        any NotificationChannel]
    {
        var channels: [AlertRecipient.Channel: any NotificationChannel] = [
            .slack: HTTPChannel(.slack, client: httpClient, timeoutSeconds: configuration.timeoutSeconds)
        ]
        if let email = configuration.email { channels[.email] = EmailChannel(email) }
        if let sms = configuration.sms {
            channels[.sms] = HTTPChannel(.sms(sms), client: httpClient, timeoutSeconds: configuration.timeoutSeconds)
        }
        if let key = configuration.webhookSecret {
            channels[.webhook] = HTTPChannel(
                .webhook(key: key), client: httpClient, timeoutSeconds: configuration.timeoutSeconds)
        }
        return channels
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await deliverDue()
            } catch {
                logger.warning("delivering the outbox failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass: every due batch, in parallel up to 8 at once. Returns what happened.
    @discardableResult
    public func deliverDue() async throws -> [(OutboxBatch, DeliveryOutcome)] {
        let now = store.wallClockMillis()
        let batches = try await store.claimDueMessages(now: now)
        guard !batches.isEmpty else { return [] }
        return try await withThrowingTaskGroup(of: (OutboxBatch, DeliveryOutcome).self) { group in
            var results: [(OutboxBatch, DeliveryOutcome)] = []
            var running = 0
            for batch in batches {
                if running >= 8, let result = try await group.next() {
                    results.append(result)
                    running -= 1
                }
                running += 1
                group.addTask { (batch, try await deliver(batch)) }
            }
            for try await result in group { results.append(result) }
            return results
        }
    }

    func deliver(_ batch: OutboxBatch) async throws -> DeliveryOutcome {
        let now = store.wallClockMillis()
        let outcome: DeliveryOutcome
        if let channel = channels[batch.channel] {
            outcome = await channel.send(try await renderer.render(batch, now: now), to: batch.address)
        } else {
            outcome = .retry(
                detail:
                    "channel \(batch.channel.rawValue) is not configured on this node; add its section to the notify file"
            )
        }
        let retryAt =
            now
            + DeliveryBackoff.delayMillis(
                afterAttempt: batch.attempts + 1, jitter: Double.random(in: 0..<1),
                baseMillis: UInt64(configuration.retryBaseSeconds * 1000))
        try await store.recordDelivery(batch, outcome: outcome, now: store.wallClockMillis(), retryAt: retryAt)
        let result: String
        switch outcome {
        case .sent: result = "sent"
        case .retry: result = batch.attempts + 1 >= DeliveryBackoff.maxAttempts ? "dead" : "retry"
        case .dead: result = "dead"
        }
        Counter(
            label: "stockroom_notifications_total",
            dimensions: [("channel", batch.channel.rawValue), ("result", result)],
            factory: metrics
        ).increment()
        let metadata: Logger.Metadata = [
            "notify.batch": "\(batch.id)", "notify.channel": "\(batch.channel.rawValue)",
            "notify.recipient": "\(batch.recipient)", "notify.attempt": "\(batch.attempts + 1)",
            "notify.answer": "\(outcome.detail)",
        ]
        switch result {
        case "sent": logger.info("notification sent", metadata: metadata)
        case "retry":
            logger.warning(
                "notification not delivered; it will be retried. If this repeats, check that the \(batch.channel.rawValue) server is reachable from this node",
                metadata: metadata)
        default:
            logger.error(
                "notification dead: it will not be retried. Fix the recipient's address or the channel's settings in the notify file, then send it again with `stockroom notify retry \(batch.messages[0].id)` or POST /v1/notifications/retry?id=\(batch.messages[0].id)",
                metadata: metadata)
        }
        return outcome
    }
}
