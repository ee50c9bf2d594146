import GRDB
public import StockroomCore

/// An alert episode as `GET /v1/alerts` lists it.
public struct AlertEpisodeRecord: Hashable, Sendable {
    public var id: String
    public var kind: AlertKind
    public var key: StockKey
    public var rule: String
    public var state: String
    public var threshold: Int64
    public var openedValue: Int64
    public var crossing: OpID
    public var openedAt: UInt64
    public var closedAt: UInt64?
    public var closedValue: Int64?
    public var acknowledged: Bool
    public var snoozedUntil: UInt64?
    /// The watched state now, and how many days it lasts: at the cell's demand forecast
    /// when one was fitted, else at the last 28 days' sales.
    public var value: Int64
    public var daysOfCover: Double?
    public var unitsSold: Int64
    /// The forecast the cover was taken at (units a day and model), if any.
    public var forecastDaily: Double?
    public var forecastModel: String?

    /// What the days of cover were computed from, in words.
    public var coverBasis: String {
        if let daily = forecastDaily, let model = forecastModel {
            return "the demand forecast of \((daily * 100).rounded() / 100) a day (\(model))"
        }
        return "the last 28 days' sales (\(unitsSold) sold)"
    }
    /// Messages of this episode: recipient, channel, status, attempts, last error.
    public var deliveries: [OutboxMessage]
}

/// A setting register as it stands on this node.
public struct SettingRecord: Hashable, Sendable {
    public var namespace: SettingNamespace
    public var key: String
    public var value: String?
    public var stamp: Stamp
}

extension StockroomStore {
    /// Sets a setting register through an op (section 11): validated by rule V13 (throws
    /// ``OpViolation``), and by V7 for a location this node may not set. Writes nothing
    /// when the register already holds the value. Durable when it returns.
    @discardableResult
    public func setSetting(_ setting: Setting, actor: String) async throws -> SettingRecord {
        try await groupWriter.submit { db, context in
            let current = try Self.settingRecord(setting.namespace, setting.key, db: db)
            if current == nil || current?.value != setting.value {
                _ = try OpApplier.appendLocal(.setting(setting), actor: actor, in: db, context: &context)
            }
            return try Self.settingRecord(setting.namespace, setting.key, db: db)!
        }
    }

    /// Sets many registers in one transaction (an import of reorder rules): all of them, or
    /// none when one breaks a rule. Registers that already hold their value are skipped.
    /// Returns the number of ops written.
    @discardableResult
    public func setSettings(_ settings: [Setting], actor: String) async throws -> Int {
        try await groupWriter.submit { db, context in
            var written = 0
            for setting in settings
            where try Self.settingRecord(setting.namespace, setting.key, db: db)?.value != setting.value
                || setting.value == nil
            {
                _ = try OpApplier.appendLocal(.setting(setting), actor: actor, in: db, context: &context)
                written += 1
            }
            return written
        }
    }

    /// The registers of a namespace that hold a value, by key.
    public func settings(_ namespace: SettingNamespace) async throws -> [SettingRecord] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT key, value, hlc, origin FROM settings WHERE namespace = ? AND value IS NOT NULL ORDER BY key",
                arguments: [Int64(namespace.rawValue)]
            ).compactMap { row in
                NodeID(row[3] as String).map {
                    SettingRecord(
                        namespace: namespace, key: row[0], value: row[1],
                        stamp: Stamp(hlc: HLC(packed: row[2]), origin: $0))
                }
            }
        }
    }

    public func setting(_ namespace: SettingNamespace, _ key: String) async throws -> SettingRecord? {
        try await read { db in try Self.settingRecord(namespace, key, db: db) }
    }

    static func settingRecord(_ namespace: SettingNamespace, _ key: String, db: Database) throws -> SettingRecord? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT value, hlc, origin FROM settings WHERE namespace = ? AND key = ?",
                arguments: [Int64(namespace.rawValue), key]), let origin = NodeID(row[2] as String)
        else { return nil }
        return SettingRecord(
            namespace: namespace, key: key, value: row[0], stamp: Stamp(hlc: HLC(packed: row[1]), origin: origin))
    }

    /// Alert episodes, newest first: open ones (`open` true), closed ones (false) or all;
    /// optionally at one location (and its sub-locations) or of one SKU.
    public func alertEpisodes(
        open: Bool? = nil, location: String? = nil, sku: String? = nil, id: String? = nil, limit: Int = 100
    ) async throws -> [AlertEpisodeRecord] {
        let now = wallMillis()
        return try await read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let open { conditions.append(open ? "closed_at IS NULL" : "closed_at IS NOT NULL") }
            if let location {
                conditions.append("(location = ? OR substr(location, 1, ?) = ?)")
                arguments += [location, location.utf8.count + 1, location + "/"]
            }
            if let sku {
                conditions.append("sku = ?")
                arguments.append(sku)
            }
            if let id {
                conditions.append("id = ?")
                arguments.append(id)
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(limit)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, kind, sku, location, rule, state, threshold, opened_value, crossing_origin, crossing_seq,
                           opened_at, closed_at, closed_value
                    FROM alert_episodes \(filter) ORDER BY opened_at DESC, id LIMIT ?
                    """, arguments: StatementArguments(arguments))
            return try rows.compactMap { row -> AlertEpisodeRecord? in
                guard let kind = AlertKind(rawValue: row[1]), let origin = NodeID(row[8] as String) else { return nil }
                let key = StockKey(sku: row[2], location: row[3])
                let id: String = row[0]
                let action = try Self.setting(.alertAction, id, db: db).flatMap { AlertAction.parse($0).value }
                let snooze = try Self.setting(.alertAction, AlertAction.Target.cell(kind, key).key, db: db)
                    .flatMap { AlertAction.parse($0).value?.snoozedUntil }
                let states = try Self.cellStates(key, now: now, db: db)
                let watched = WatchedState(rawValue: row[5]) ?? .available
                let sold = try Self.unitsSold(key, since: now &- UInt64(DaysOfCover.windowDays) * 86_400_000, db: db)
                let forecast = try Self.storedEstimate(key, db: db)
                let available = states.available
                return AlertEpisodeRecord(
                    id: id, kind: kind, key: key, rule: row[4], state: watched.rawValue, threshold: row[6],
                    openedValue: row[7], crossing: OpID(origin: origin, seq: UInt64(clamping: row[9] as Int64)),
                    openedAt: UInt64(clamping: row[10] as Int64),
                    closedAt: (row[11] as Int64?).map { UInt64(clamping: $0) },
                    closedValue: row[12], acknowledged: action?.acknowledged ?? false,
                    snoozedUntil: snooze.flatMap { $0 > now ? $0 : nil },
                    value: watched.value(of: states),
                    daysOfCover: forecast.map { DaysOfCover.days(available: available, dailyForecast: $0.daily) }
                        ?? DaysOfCover.days(available: available, unitsSold: sold),
                    unitsSold: sold, forecastDaily: forecast?.daily, forecastModel: forecast?.model,
                    deliveries: try Row.fetchAll(
                        db, sql: "SELECT \(OutboxMessage.columns) FROM outbox WHERE episode = ? ORDER BY recipient",
                        arguments: [id]
                    ).map(OutboxMessage.init))
            }
        }
    }

    /// Units sold at a cell since `since` (ms), from the sale ops in the log.
    static func unitsSold(_ key: StockKey, since: UInt64, db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT -sum(quantity) FROM ops
                    WHERE sku = ? AND location = ? AND kind = 1 AND reason = 1 AND hlc >= ?
                    """),
            arguments: [key.sku, key.location, HLC(millis: since, logical: 0).packed]) ?? 0
    }
}
