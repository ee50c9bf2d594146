import GRDB
public import StockroomCore
import Synchronization

/// Who this node delivers alerts to, and for which locations (section 11.7).
public struct AlertRouting: Sendable {
    public var recipients: [AlertRecipient]
    /// Whether this node is the hub: the hub delivers every location's alerts unless an
    /// `alert_delivery` register names another node for it.
    public var isHub: Bool
    /// The hour (UTC) daily digests go out.
    public var dailyDigestHourUTC: UInt64
    /// The channels this node can send through (its notify file's sections). Recipients
    /// added in Settings must use one of them; empty: the node sends nothing.
    public var channels: Set<AlertRecipient.Channel>

    /// `recipients` are the notify file's; the ones added in Settings (the
    /// `alert_recipients` table) join them at every evaluation.
    public init(
        recipients: [AlertRecipient] = [], isHub: Bool, dailyDigestHourUTC: UInt64 = 7,
        channels: Set<AlertRecipient.Channel> = []
    ) {
        self.recipients = recipients
        self.isHub = isHub
        self.dailyDigestHourUTC = dailyDigestHourUTC
        self.channels = channels
    }
}

/// Evaluates alert rules inside the writer's transaction, after every op that changes a
/// cell (section 11.2), so an episode and its outbox rows commit with the op that caused
/// them, or not at all.
///
/// The rule book and the delivery registers are cached and reloaded (inside the
/// transaction) after a setting op changes them; a node with no rule pays one branch per
/// op. Used only by the daemon's writer: replays and checks apply ops without it.
public final class AlertEngine: Sendable {
    public let routing: AlertRouting
    let nodeID: NodeID
    private struct Cache {
        var book: AlertRuleBook?
        var delivery: [String: NodeID]?
        var recipients: [AlertRecipient]?
    }
    private let cache = Mutex(Cache())

    public init(routing: AlertRouting, nodeID: NodeID) {
        self.routing = routing
        self.nodeID = nodeID
    }

    /// Forgets the cached rules, delivery registers and recipients (a setting op or
    /// Settings changed them).
    func invalidate() { cache.withLock { $0 = Cache() } }

    /// The notify file's recipients, then the ones added in Settings.
    private func recipients(_ db: Database) throws -> [AlertRecipient] {
        if let recipients = cache.withLock({ $0.recipients }) { return recipients }
        let recipients = try routing.recipients + StockroomStore.storedRecipients(db).map(\.recipient)
        cache.withLock { $0.recipients = recipients }
        return recipients
    }

    private func book(_ db: Database) throws -> AlertRuleBook {
        if let book = cache.withLock({ $0.book }) { return book }
        var book = AlertRuleBook()
        for row in try Row.fetchAll(
            db, sql: "SELECT key, value FROM settings WHERE namespace = ? AND value IS NOT NULL",
            arguments: [Int64(SettingNamespace.alertRule.rawValue)])
        {
            if let key = AlertRuleKey(row[0]), let rule = AlertRule.parse(row[1]).value { book.set(key, rule) }
        }
        cache.withLock { $0.book = book }
        return book
    }

    /// Whether this node sends the messages of `location`'s alerts.
    func delivers(_ location: String, db: Database) throws -> Bool {
        var delivery = cache.withLock { $0.delivery }
        if delivery == nil {
            var loaded: [String: NodeID] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT key, value FROM settings WHERE namespace = ? AND value IS NOT NULL",
                arguments: [Int64(SettingNamespace.alertDelivery.rawValue)])
            {
                if let node = NodeID(row[1] as String) { loaded[row[0]] = node }
            }
            cache.withLock { $0.delivery = loaded }
            delivery = loaded
        }
        // The most specific register: the location, then its store (`store-1/back` → `store-1`).
        var place = location
        while true {
            if let node = delivery?[place] { return node == nodeID }
            guard let slash = place.lastIndex(of: "/") else { break }
            place = String(place[..<slash])
        }
        return routing.isHub
    }

    /// Observes `key` after `op` (stamped `millis`) and opens or closes its episodes; `now`
    /// is this node's wall clock, for hold expiry and when messages fall due. Throws only
    /// database errors (the op's transaction then fails with it).
    func evaluate(
        _ key: StockKey, after op: OpID, at millis: UInt64, now: UInt64, onHand: Int64? = nil, db: Database
    ) throws {
        let book = try book(db)
        // The item's category and catalogue threshold: one primary-key read.
        let item = try HotStatement(db, "SELECT category, threshold FROM items WHERE sku = ?")
        item.bind(1, key.sku)
        let (category, threshold) =
            try item.fetchFirst { row in (row.optionalText(0), row.optionalInt64(1)) } ?? (nil, nil)
        guard !book.isEmpty || threshold != nil else { return }
        let low = book.rule(
            .low, sku: key.sku, category: category, location: key.location, catalogueThreshold: threshold)
        let out = book.rule(.out, sku: key.sku, category: category, location: key.location)
        guard low != nil || out != nil else { return }
        let statement = try HotStatement(
            db,
            """
            SELECT
                coalesce(?4, (SELECT quantity FROM stock WHERE sku = ?1 AND location = ?2)),
                (SELECT quantity FROM unavailable WHERE sku = ?1 AND location = ?2),
                (SELECT sum(quantity) FROM document_cells WHERE sku = ?1 AND location = ?2 AND state = 'committed'),
                (SELECT sum(quantity) FROM document_cells WHERE sku = ?1 AND location = ?2 AND state = 'held'
                    AND (expires_at IS NULL OR expires_at > ?3)),
                (SELECT sum(quantity) FROM document_cells WHERE sku = ?1 AND location = ?2 AND state = 'incoming'),
                (SELECT sum(quantity) FROM document_cells WHERE sku = ?1 AND location = ?2 AND state = 'in_transit'),
                (SELECT episode FROM alert_cells WHERE sku = ?1 AND location = ?2 AND kind = 'low'),
                (SELECT episode FROM alert_cells WHERE sku = ?1 AND location = ?2 AND kind = 'out')
            """)
        statement.bind(1, key.sku)
        statement.bind(2, key.location)
        statement.bind(3, Int64(clamping: now))
        statement.bind(4, onHand)  // known from the op for deltas and counts: one seek less
        guard
            let (states, openLow, openOut) = try statement.fetchFirst({ row in
                (
                    StockStates(
                        onHand: row.optionalInt64(0) ?? 0, committed: row.optionalInt64(2) ?? 0,
                        held: row.optionalInt64(3) ?? 0, unavailable: row.optionalInt64(1) ?? 0,
                        incoming: row.optionalInt64(4) ?? 0, inTransit: row.optionalInt64(5) ?? 0),
                    row.optionalText(6), row.optionalText(7)
                )
            })
        else { return }
        for (kind, resolved, open) in [(AlertKind.low, low, openLow), (.out, out, openOut)] {
            guard let (ruleKey, rule) = resolved else { continue }
            let value = rule.state.value(of: states)
            switch AlertTrigger.next(open: open != nil, value: value, rule: rule) {
            case .fire:
                try openEpisode(
                    kind, key, ruleKey: ruleKey, rule: rule, value: value, crossing: op, at: millis, now: now,
                    category: category, db: db)
            case .rearm:
                guard let open else { continue }
                try db.cachedStatement(
                    sql: "UPDATE alert_episodes SET closed_at = ?, closed_value = ? WHERE id = ? AND closed_at IS NULL"
                ).execute(arguments: [Int64(clamping: millis), value, open])
                try db.cachedStatement(
                    sql: "DELETE FROM alert_cells WHERE sku = ? AND location = ? AND kind = ?"
                ).execute(arguments: [key.sku, key.location, kind.rawValue])
            case .none:
                continue
            }
        }
    }

    private func openEpisode(
        _ kind: AlertKind, _ key: StockKey, ruleKey: AlertRuleKey, rule: AlertRule, value: Int64, crossing: OpID,
        at millis: UInt64, now: UInt64, category: String?, db: Database
    ) throws {
        let episode = AlertTrigger.episodeID(kind: kind, key: key, crossing: crossing)
        let insert = try HotStatement(
            db,
            """
            INSERT OR IGNORE INTO alert_episodes
                (id, kind, sku, location, rule, state, threshold, opened_value, crossing_origin, crossing_seq, opened_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insert.bind(1, episode)
        insert.bind(2, kind.rawValue)
        insert.bind(3, key.sku)
        insert.bind(4, key.location)
        insert.bind(5, ruleKey.description)
        insert.bind(6, rule.state.rawValue)
        insert.bind(7, rule.threshold)
        insert.bind(8, value)
        insert.bind(9, crossing.origin.rawValue)
        insert.bind(10, Int64(crossing.seq))
        insert.bind(11, Int64(clamping: millis))
        try insert.execute()
        let mark = try HotStatement(
            db, "INSERT OR REPLACE INTO alert_cells (sku, location, kind, episode) VALUES (?, ?, ?, ?)")
        mark.bind(1, key.sku)
        mark.bind(2, key.location)
        mark.bind(3, kind.rawValue)
        mark.bind(4, episode)
        try mark.execute()
        let recipients = try recipients(db)
        guard !recipients.isEmpty, try delivers(key.location, db: db) else { return }
        let subject =
            kind == .out
            ? "Out of stock: \(key.sku) at \(key.location)"
            : "Low stock: \(key.sku) at \(key.location) (\(rule.state.rawValue) \(value), alert at \(rule.threshold))"
        for recipient in recipients where recipient.wants(kind, location: key.location, category: category) {
            try Outbox.enqueue(
                id: "\(episode)/\(recipient.id)", to: recipient, topic: "alert.\(kind.rawValue)", subject: subject,
                episode: episode, document: nil, now: now, dailyHourUTC: routing.dailyDigestHourUTC, db: db)
        }
    }
}
