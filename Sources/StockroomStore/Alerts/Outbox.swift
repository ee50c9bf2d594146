import GRDB
public import StockroomCore

/// The durable outbox (section 11.7): one row per message to one recipient. Rows are
/// written in the transaction that caused them (an alert's op, a PO's send), so a crash
/// cannot lose one or write one twice (the id is the primary key). Delivery is
/// at-least-once: a crash after a send and before its record sends again, with the same
/// message id, which receivers deduplicate (webhook-id, Message-ID).
enum Outbox {
    static func enqueue(
        id: String, to recipient: AlertRecipient, topic: String, subject: String, episode: String?,
        document: String?, now: UInt64, dailyHourUTC: UInt64, db: Database
    ) throws {
        let due = DigestSchedule.dueAt(now, digest: recipient.digest, dailyHourUTC: dailyHourUTC)
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO outbox
                    (id, recipient, channel, address, topic, subject, episode, document, status, created_at, due_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """
        ).execute(arguments: [
            id, recipient.id, recipient.channel.rawValue, recipient.address, topic, subject, episode, document,
            Int64(clamping: now), Int64(clamping: due),
        ])
    }
}

/// A message of the outbox as the API and the delivery service see it.
public struct OutboxMessage: Hashable, Sendable {
    public var id: String
    public var recipient: String
    public var channel: AlertRecipient.Channel
    public var address: String
    public var topic: String
    public var subject: String
    public var episode: String?
    public var document: String?
    /// pending, sent, dead (will never succeed), cancelled (no longer worth sending).
    public var status: String
    public var createdAt: UInt64
    public var dueAt: UInt64
    public var attempts: Int
    public var batch: String?
    public var lastError: String?
    public var finishedAt: UInt64?

    static let columns =
        "id, recipient, channel, address, topic, subject, episode, document, status, created_at, due_at, attempts, batch, last_error, finished_at"

    init(_ row: Row) {
        id = row[0]
        recipient = row[1]
        channel = AlertRecipient.Channel(rawValue: row[2]) ?? .email
        address = row[3]
        topic = row[4]
        subject = row[5]
        episode = row[6]
        document = row[7]
        status = row[8]
        createdAt = UInt64(clamping: row[9] as Int64)
        dueAt = UInt64(clamping: row[10] as Int64)
        attempts = row[11]
        batch = row[12]
        lastError = row[13]
        finishedAt = (row[14] as Int64?).map { UInt64(clamping: $0) }
    }
}

/// One delivery: the messages to one recipient sent together (one, or a digest).
public struct OutboxBatch: Hashable, Sendable {
    /// The message id receivers deduplicate by: the same on every attempt.
    public var id: String
    public var messages: [OutboxMessage]
    public var recipient: String { messages[0].recipient }
    public var channel: AlertRecipient.Channel { messages[0].channel }
    public var address: String { messages[0].address }
    /// The number of attempts made before this one.
    public var attempts: Int { messages.map(\.attempts).max() ?? 0 }
}

/// How one attempt ended.
public enum DeliveryOutcome: Hashable, Sendable {
    case sent(detail: String)
    /// A failure that may pass (refused connection, timeout, 5xx, SMTP 4xx).
    case retry(detail: String)
    /// A failure that will not pass (bad address, 4xx, SMTP 5xx, bad credentials).
    case dead(detail: String)

    public var detail: String {
        switch self {
        case .sent(let detail), .retry(let detail), .dead(let detail): detail
        }
    }
}

extension StockroomStore {
    /// Claims what is due: pending messages whose time has come, grouped into deliveries.
    /// Messages of an acknowledged episode, or of one that recovered before it was sent,
    /// are cancelled; those of a snoozed cell wait until the snooze ends. A batch keeps its
    /// id (and so its receivers' dedup key) across attempts. Idempotent.
    public func claimDueMessages(now: UInt64, limit: Int = 200) async throws -> [OutboxBatch] {
        try await groupWriter.submit { db, _ in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboxMessage.columns) FROM outbox
                    WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?
                    """, arguments: [Int64(clamping: now), limit]
            ).map(OutboxMessage.init)
            var batches: [String: [OutboxMessage]] = [:]
            var order: [String] = []
            for var message in rows {
                if let episode = message.episode {
                    let row = try Row.fetchOne(
                        db, sql: "SELECT kind, sku, location, closed_at FROM alert_episodes WHERE id = ?",
                        arguments: [episode])
                    if try Self.setting(.alertAction, episode, db: db).flatMap({ AlertAction.parse($0).value })?
                        .acknowledged == true
                    {
                        try Self.finish(
                            message.id, status: "cancelled", detail: "acknowledged before it was sent", now, db)
                        continue
                    }
                    if let row, (row[3] as Int64?) != nil {
                        try Self.finish(
                            message.id, status: "cancelled", detail: "recovered before it was sent", now, db)
                        continue
                    }
                    if let row, let kind = AlertKind(rawValue: row[0]) {
                        let target = AlertAction.Target.cell(kind, StockKey(sku: row[1], location: row[2]))
                        if let until = try Self.setting(.alertAction, target.key, db: db)
                            .flatMap({ AlertAction.parse($0).value?.snoozedUntil }), until > now
                        {
                            try db.execute(
                                sql: "UPDATE outbox SET due_at = ? WHERE id = ?",
                                arguments: [Int64(clamping: until), message.id])
                            continue
                        }
                    }
                }
                let batch =
                    message.batch
                    ?? (message.dueAt == message.createdAt
                        ? message.id : "digest/\(message.recipient)/\(message.dueAt)")
                if message.batch == nil {
                    try db.execute(sql: "UPDATE outbox SET batch = ? WHERE id = ?", arguments: [batch, message.id])
                    message.batch = batch
                }
                if batches[batch] == nil { order.append(batch) }
                batches[batch, default: []].append(message)
            }
            return order.map { OutboxBatch(id: $0, messages: batches[$0]!) }
        }
    }

    /// Records an attempt at a batch and what the other end answered: sent, retry at
    /// `retryAt`, or dead. After ``DeliveryBackoff/maxAttempts`` a retry becomes dead.
    /// Durable when it returns.
    public func recordDelivery(
        _ batch: OutboxBatch, outcome: DeliveryOutcome, now: UInt64, retryAt: UInt64
    ) async throws {
        try await groupWriter.submit { db, _ in
            for message in batch.messages {
                let attempt = message.attempts + 1
                var status: String
                switch outcome {
                case .sent: status = "sent"
                case .dead: status = "dead"
                case .retry: status = attempt >= DeliveryBackoff.maxAttempts ? "dead" : "pending"
                }
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO outbox_attempts (message, attempt, at, outcome, detail)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        message.id, attempt, Int64(clamping: now),
                        status == "pending" ? "retry" : status, String(outcome.detail.prefix(2000)),
                    ])
                try db.execute(
                    sql: """
                        UPDATE outbox SET status = ?, attempts = ?, last_error = ?, due_at = ?, finished_at = ?
                        WHERE id = ?
                        """,
                    arguments: [
                        status, attempt, status == "sent" ? nil : String(outcome.detail.prefix(2000)),
                        Int64(clamping: status == "pending" ? retryAt : message.dueAt),
                        status == "pending" ? nil : Int64(clamping: now), message.id,
                    ])
            }
        }
    }

    /// Messages, newest first, optionally of one status.
    public func outboxMessages(status: String? = nil, limit: Int = 100) async throws -> [OutboxMessage] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboxMessage.columns) FROM outbox WHERE (?1 IS NULL OR status = ?1)
                    ORDER BY created_at DESC, id LIMIT ?2
                    """, arguments: [status, limit]
            ).map(OutboxMessage.init)
        }
    }

    public func outboxMessage(_ id: String) async throws -> OutboxMessage? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(OutboxMessage.columns) FROM outbox WHERE id = ?", arguments: [id])
                .map(OutboxMessage.init)
        }
    }

    /// Every attempt at a message: (attempt, at, outcome, detail).
    public func deliveryAttempts(
        _ id: String
    ) async throws -> [(attempt: Int, at: UInt64, outcome: String, detail: String)] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT attempt, at, outcome, detail FROM outbox_attempts WHERE message = ? ORDER BY attempt",
                arguments: [id]
            ).map { ($0[0], UInt64(clamping: $0[1] as Int64), $0[2], $0[3]) }
        }
    }

    /// Outbox figures for metrics: pending messages, the age of the oldest (ms), and counts
    /// per status.
    public func outboxFigures(now: UInt64) async throws -> (pending: Int, oldestMillis: UInt64, byStatus: [String: Int])
    {
        try await read { db in
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM outbox GROUP BY status") {
                byStatus[row[0]] = row[1]
            }
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(created_at) FROM outbox WHERE status = 'pending'")
            return (
                byStatus["pending"] ?? 0,
                oldest.map { now > UInt64(clamping: $0) ? now - UInt64(clamping: $0) : 0 } ?? 0,
                byStatus
            )
        }
    }

    /// Puts a dead or cancelled message back in the queue, due now, with its attempts
    /// counted afresh (after the operator fixed an address or a channel). Returns false when
    /// no such message exists or it was sent.
    public func retryMessage(_ id: String) async throws -> Bool {
        let now = wallMillis()
        return try await groupWriter.submit { db, _ in
            try db.execute(
                sql: """
                    UPDATE outbox SET status = 'pending', due_at = ?, attempts = 0, finished_at = NULL
                    WHERE id = ? AND status IN ('dead', 'cancelled')
                    """, arguments: [Int64(clamping: now), id])
            return db.changesCount > 0
        }
    }

    static func finish(_ id: String, status: String, detail: String, _ now: UInt64, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE outbox SET status = ?, last_error = ?, finished_at = ? WHERE id = ?",
            arguments: [status, detail, Int64(clamping: now), id])
    }

    /// A setting register's value, or nil.
    static func setting(_ namespace: SettingNamespace, _ key: String, db: Database) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT value FROM settings WHERE namespace = ? AND key = ?"),
            arguments: [Int64(namespace.rawValue), key])
    }
}
