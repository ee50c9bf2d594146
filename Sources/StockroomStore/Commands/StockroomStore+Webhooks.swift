import GRDB
public import StockroomCore

/// A webhook delivery as recorded.
public struct WebhookDelivery: Hashable, Sendable {
    public var id: String
    public var source: String
    public var topic: String
    public var receivedAtMillis: UInt64
    public var status: Int
    public var detail: String

    public init(id: String, source: String, topic: String, receivedAtMillis: UInt64, status: Int, detail: String) {
        self.id = id
        self.source = source
        self.topic = topic
        self.receivedAtMillis = receivedAtMillis
        self.status = status
        self.detail = detail
    }
}

extension StockroomStore {
    /// The most deliveries kept: older ones are dropped as new ones come, so a sender (or
    /// someone posting unsigned bodies) cannot grow the table without bound.
    public static let maxWebhookDeliveries = 10_000

    /// Records what a delivery was answered. A later answer for the same id replaces the
    /// earlier one (a delivery refused, then taken on Shopify's retry).
    public func recordWebhookDelivery(_ delivery: WebhookDelivery) async throws {
        try await groupWriter.submit { db, _ in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO webhook_deliveries (id, source, topic, received_at, status, detail)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    delivery.id, delivery.source, delivery.topic, Int64(delivery.receivedAtMillis), delivery.status,
                    delivery.detail,
                ])
            try db.execute(
                sql: """
                    DELETE FROM webhook_deliveries WHERE received_at < (
                        SELECT received_at FROM webhook_deliveries ORDER BY received_at DESC LIMIT 1 OFFSET ?)
                    """, arguments: [Self.maxWebhookDeliveries])
        }
    }

    /// One delivery by id, or nil.
    public func webhookDelivery(id: String) async throws -> WebhookDelivery? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, source, topic, received_at, status, detail FROM webhook_deliveries WHERE id = ?",
                arguments: [id]
            ).map(Self.delivery)
        }
    }

    /// The latest deliveries, newest first.
    public func webhookDeliveries(limit: Int) async throws -> [WebhookDelivery] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, source, topic, received_at, status, detail FROM webhook_deliveries ORDER BY received_at DESC LIMIT ?",
                arguments: [max(1, min(limit, 1000))]
            ).map(Self.delivery)
        }
    }

    private static func delivery(_ row: Row) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.checked(0, "a delivery's id"), source: try row.checked(1, "source"),
            topic: try row.checked(2, "topic"),
            receivedAtMillis: UInt64(clamping: try row.checked(3, "received_at") as Int64),
            status: Int(try row.checked(4, "status") as Int64), detail: try row.checked(5, "detail"))
    }
}
