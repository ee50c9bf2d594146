import GRDB
public import StockroomCore

/// A cell as the API shows it: the item's quantity at one location.
public struct StockLevel: Hashable, Sendable {
    public var sku: String
    public var name: String
    public var category: String
    public var location: String
    public var quantity: Int64
    public var threshold: Int64?
    /// The last time an op touched the cell; nil when nothing ever moved.
    public var updatedHLC: HLC?
    /// The winning count the quantity is based on, if any.
    public var lastCount: CountRecord?
    /// Every state of the cell; `states.onHand == quantity`.
    public var states = StockStates()
    /// Costed receipts at the cell: its average cost and stock value (section 10.7).
    public var cost = CellCost()

    public var belowThreshold: Bool { threshold.map { quantity < $0 } ?? false }
}

/// Filters for ``StockroomStore/listStock(_:)``.
public struct StockQuery: Sendable {
    public var location: String
    public var category: String?
    /// Case-insensitive substring of SKU, name or description.
    public var text: String?
    /// Only items whose quantity is below their low-stock threshold.
    public var belowThreshold = false
    /// Paging: items with a SKU after this one.
    public var afterSKU: String?
    public var limit = 100
    /// The dashboard's inventory list for the whole chain: each item's states summed over
    /// every location (``StockroomStore/stockListing(_:filter:sort:descending:offset:)``
    /// only; `location` is then unused).
    public var everyLocation = false

    public init(location: String) { self.location = location }
}

/// A page of results and where the next one starts.
public struct Page<Element: Sendable>: Sendable {
    public var items: [Element]
    /// Pass back to get the next page; nil on the last page.
    public var next: String?
}

/// Filters for the audit trail.
public struct OpQuery: Sendable {
    public var afterLSN: Int64 = 0
    public var beforeLSN: Int64?
    public var sku: String?
    public var origin: String?
    public var actor: String?
    public var device: String?
    public var kind: OpKind?
    public var limit = 100
    /// Newest first (history) rather than oldest first (tailing the log).
    public var newestFirst = false
    public init() {}
}

/// An op with its local bookkeeping, as the audit trail shows it.
public struct LoggedOp: Hashable, Sendable {
    public var lsn: Int64
    public var op: Op
    /// For a scan, the cell's quantity right after it.
    public var resultQuantity: Int64?
}

/// A conflict as recorded.
public struct ConflictRecord: Hashable, Sendable {
    public var id: Int64
    public var kind: String
    public var sku: String
    public var location: String?
    public var ops: [String]
    public var quantity: Int64?
    public var detail: String
    public var detectedHLC: HLC
    /// When it closed: by itself (stock back at zero or above, a document settled) or by a
    /// person's resolution, whichever came first.
    public var resolvedHLC: HLC?
    /// A person's resolution (section 13), if one was recorded.
    public var resolution: ConflictResolution?

    /// The key of its resolution setting: `KIND|IDENTITY`.
    public var resolutionKey: ConflictResolution.Key {
        ConflictResolution.Key(kind: kind, identity: ops.joined(separator: ","))
    }
}

/// Counts for `status`.
public struct StoreStatistics: Hashable, Sendable {
    public var ops: Int64
    public var items: Int64
    public var cells: Int64
    public var openConflicts: Int64
    public var lastLSN: Int64
}

extension StockroomStore {
    /// The stock of the item named by a barcode or SKU at `location` (default: this node's).
    /// A live item that never moved has quantity 0. Throws ``StoreError/unknownCode(_:)``.
    public func stock(code: String, location: String? = nil) async throws -> StockLevel {
        let location = location ?? homeLocation
        let now = wallMillis()
        return try await read { db in
            let sku = try Self.resolveSKU(code, db: db)
            let rows = try Self.stockLevels(
                where: "i.sku = ?", arguments: [sku], location: location, limit: 1, now: now, db: db)
            guard let level = rows.first else { throw StoreError.unknownCode(code) }
            return level
        }
    }

    /// Live items with their stock at one location, by SKU, filtered and paged.
    public func listStock(_ query: StockQuery) async throws -> Page<StockLevel> {
        let now = wallMillis()
        return try await read { db in
            var conditions = ["i.alive = 1"]
            var arguments: [any DatabaseValueConvertible] = []
            if let after = query.afterSKU {
                conditions.append("i.sku > ?")
                arguments.append(after)
            }
            if let category = query.category {
                conditions.append("i.category = ?")
                arguments.append(category)
            }
            if let text = query.text, !text.isEmpty {
                conditions.append(
                    "(i.sku LIKE ? ESCAPE '\\' OR i.name LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\')")
                let pattern = "%" + Self.escapeLike(text) + "%"
                arguments += [pattern, pattern, pattern]
            }
            if query.belowThreshold {
                conditions.append("i.threshold IS NOT NULL AND coalesce(s.quantity, 0) < i.threshold")
            }
            let limit = max(1, min(query.limit, 1000))
            let levels = try Self.stockLevels(
                where: conditions.joined(separator: " AND "), arguments: arguments, location: query.location,
                limit: limit + 1, now: now, db: db)
            let page = Array(levels.prefix(limit))
            return Page(items: page, next: levels.count > limit ? page.last?.sku : nil)
        }
    }

    static func stockLevels(
        where condition: String, arguments: [any DatabaseValueConvertible], location: String, limit: Int,
        now: UInt64, db: Database
    ) throws -> [StockLevel] {
        // Cached: the set of conditions is small, and preparing SQL costs more than running
        // it on the read path.
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT i.sku, i.name, i.category, coalesce(s.quantity, 0), i.threshold, s.updated_hlc,
                           s.count_origin, s.count_seq, s.count_hlc, s.count_quantity, s.count_context,
                           coalesce(u.quantity, 0),
                           (SELECT coalesce(sum(quantity), 0) FROM document_cells d
                            WHERE d.sku = i.sku AND d.location = ?1 AND d.state = 'committed'),
                           (SELECT coalesce(sum(quantity), 0) FROM document_cells d
                            WHERE d.sku = i.sku AND d.location = ?1 AND d.state = 'held' AND d.expires_at > ?2),
                           (SELECT coalesce(sum(quantity), 0) FROM document_cells d
                            WHERE d.sku = i.sku AND d.location = ?1 AND d.state = 'incoming'),
                           (SELECT coalesce(sum(quantity), 0) FROM document_cells d
                            WHERE d.sku = i.sku AND d.location = ?1 AND d.state = 'in_transit'),
                           coalesce(c.units, 0), coalesce(c.total_cents, 0)
                    FROM items i LEFT JOIN stock s ON s.sku = i.sku AND s.location = ?1
                    LEFT JOIN unavailable u ON u.sku = i.sku AND u.location = ?1
                    LEFT JOIN cell_costs c ON c.sku = i.sku AND c.location = ?1
                    WHERE \(condition) ORDER BY i.sku LIMIT ?
                    """), arguments: StatementArguments([location, Int64(now)] + arguments + [limit]))
        return rows.map { row in
            var lastCount: CountRecord?
            if let origin = (row[6] as String?).flatMap(NodeID.init), let context = VersionVector(compactText: row[10])
            {
                lastCount = CountRecord(
                    id: OpID(origin: origin, seq: UInt64(row[7] as Int64)), hlc: HLC(packed: row[8]),
                    counted: row[9], context: context)
            }
            let states = StockStates(
                onHand: row[3], committed: row[12], held: row[13], unavailable: row[11], incoming: row[14],
                inTransit: row[15])
            return StockLevel(
                sku: row[0], name: row[1], category: row[2], location: location, quantity: row[3], threshold: row[4],
                updatedHLC: (row[5] as Int64?).map(HLC.init(packed:)), lastCount: lastCount, states: states,
                cost: CellCost(units: row[16], totalCents: row[17]))
        }
    }

    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// The item with this SKU (or barcode); deleted items are returned only when
    /// `includeDeleted`. Throws ``StoreError/unknownCode(_:)``.
    public func item(code: String, includeDeleted: Bool = false) async throws -> ItemRecord {
        try await read { db in
            if let sku = try? Self.resolveSKU(code, db: db), let item = try ItemRecord.fetch(sku: sku, db: db) {
                return item
            }
            if includeDeleted, let item = try ItemRecord.fetch(sku: code, db: db) { return item }
            throw StoreError.unknownCode(code)
        }
    }

    /// The item with exactly this SKU, never resolved through a barcode: for routes that
    /// name an item by its SKU (`/v1/items/{sku}/history`), where a barcode equal to another
    /// item's SKU must not redirect (finding 15). Throws ``StoreError/unknownCode(_:)``.
    public func item(sku: String, includeDeleted: Bool = false) async throws -> ItemRecord {
        try await read { db in
            guard let item = try ItemRecord.fetch(sku: sku, db: db), item.alive || includeDeleted else {
                throw StoreError.unknownCode(sku)
            }
            return item
        }
    }

    /// Live items by SKU, optionally by category or text, paged.
    public func listItems(
        category: String?, text: String?, afterSKU: String?, limit: Int
    ) async throws
        -> Page<ItemRecord>
    {
        try await read { db in
            var conditions = ["alive = 1"]
            var arguments: [any DatabaseValueConvertible] = []
            if let afterSKU {
                conditions.append("sku > ?")
                arguments.append(afterSKU)
            }
            if let category {
                conditions.append("category = ?")
                arguments.append(category)
            }
            if let text, !text.isEmpty {
                conditions.append(
                    "(sku LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')")
                let pattern = "%" + Self.escapeLike(text) + "%"
                arguments += [pattern, pattern, pattern]
            }
            let limit = max(1, min(limit, 1000))
            let items = try Row.fetchAll(
                db,
                sql:
                    "SELECT \(ItemRecord.columns) FROM items WHERE \(conditions.joined(separator: " AND ")) ORDER BY sku LIMIT ?",
                arguments: StatementArguments(arguments + [limit + 1])
            ).map { try ItemRecord(row: $0) }
            let page = Array(items.prefix(limit))
            return Page(items: page, next: items.count > limit ? page.last?.sku : nil)
        }
    }

    /// The op log, filtered: the audit trail (who, when, what, which device).
    public func ops(_ query: OpQuery) async throws -> Page<LoggedOp> {
        try await read { db in
            var conditions = ["lsn > ?"]
            var arguments: [any DatabaseValueConvertible] = [query.afterLSN]
            if let before = query.beforeLSN {
                conditions.append("lsn < ?")
                arguments.append(before)
            }
            for (column, value) in [
                ("sku", query.sku), ("origin", query.origin), ("actor", query.actor), ("device", query.device),
            ] {
                if let value {
                    conditions.append("\(column) = ?")
                    arguments.append(value)
                }
            }
            if let kind = query.kind {
                conditions.append("kind = ?")
                arguments.append(Int64(kind.rawValue))
            }
            let limit = max(1, min(query.limit, 1000))
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OpRow.selectColumns) FROM ops WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY lsn \(query.newestFirst ? "DESC" : "ASC") LIMIT ?
                    """, arguments: StatementArguments(arguments + [limit + 1]))
            let ops = try rows.prefix(limit).map { row in
                let decoded = try OpRow.decode(row)
                return LoggedOp(lsn: decoded.lsn, op: decoded.op, resultQuantity: decoded.resultQuantity)
            }
            return Page(items: ops, next: rows.count > limit ? ops.last.map { String($0.lsn) } : nil)
        }
    }

    /// Conflicts, newest first; open ones only unless `includeResolved`.
    public func conflicts(
        includeResolved: Bool = false, limit: Int = 100, id: Int64? = nil
    ) async throws
        -> [ConflictRecord]
    {
        try await read { db in
            var conditions: [String] = []
            if !includeResolved { conditions.append("c.resolved_hlc IS NULL AND r.value IS NULL") }
            if id != nil { conditions.append("c.id = ?") }
            let arguments: [(any DatabaseValueConvertible)?] = (id.map { [$0] } ?? []) + [max(1, min(limit, 1000))]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.kind, c.sku, c.location, c.ops, c.quantity, c.detail, c.detected_hlc,
                           c.resolved_hlc, r.value, r.hlc
                    FROM conflicts c \(Self.resolutionJoin)
                    \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                    ORDER BY c.id DESC LIMIT ?
                    """, arguments: StatementArguments(arguments)
            ).map { row in
                let resolution = (row[9] as String?).flatMap { ConflictResolution.parse($0).value }
                let closed = [(row[8] as Int64?), resolution == nil ? nil : (row[10] as Int64?)].compactMap { $0 }.min()
                return ConflictRecord(
                    id: row[0], kind: row[1], sku: row[2], location: row[3],
                    ops: (row[4] as String).split(separator: ",").map(String.init), quantity: row[5], detail: row[6],
                    detectedHLC: HLC(packed: row[7]), resolvedHLC: closed.map(HLC.init(packed:)),
                    resolution: resolution)
            }
        }
    }

    /// Conflicts joined with their resolution settings (section 13), as `r`.
    static let resolutionJoin = """
        LEFT JOIN settings r ON r.namespace = \(SettingNamespace.conflictResolution.rawValue)
            AND r.key = c.kind || '|' || c.ops
        """

    /// Records a person's resolution of a conflict: a `conflict_resolution` setting op, so it
    /// replicates and closes the conflict on every node that holds it. Changes no stock.
    /// Idempotent in effect (a second resolution replaces the first's reason). Throws
    /// `invalid` for an unknown conflict id or a reason that breaks the value rules.
    public func resolveConflict(id: Int64, reason: String, actor: String) async throws -> ConflictRecord {
        guard let conflict = try await conflicts(includeResolved: true, limit: 1, id: id).first else {
            throw StoreError.invalid(field: "id", message: "no conflict \(id)")
        }
        let resolution = ConflictResolution(by: actor, reason: reason)
        if let problem = ConflictResolution.parse(resolution.text).problem {
            throw StoreError.invalid(field: "reason", message: problem)
        }
        let key = conflict.resolutionKey.description
        guard key.utf8.count <= InputRules.maxNameLength else {
            throw StoreError.invalid(field: "id", message: "this conflict's identity is too long to resolve by hand")
        }
        _ = try await setSetting(
            Setting(namespace: .conflictResolution, key: key, value: resolution.text), actor: actor)
        return try await conflicts(includeResolved: true, limit: 1, id: id).first ?? conflict
    }

    public func statistics() async throws -> StoreStatistics {
        try await read { db in
            StoreStatistics(
                ops: try Int64.fetchOne(db, sql: "SELECT count(*) FROM ops") ?? 0,
                items: try Self.liveItemCount(db),
                cells: try Int64.fetchOne(db, sql: "SELECT count(*) FROM stock") ?? 0,
                openConflicts: try Int64.fetchOne(
                    db,
                    sql:
                        "SELECT count(*) FROM conflicts c \(Self.resolutionJoin) WHERE c.resolved_hlc IS NULL AND r.value IS NULL"
                ) ?? 0,
                lastLSN: try Int64.fetchOne(db, sql: "SELECT max(lsn) FROM ops") ?? 0)
        }
    }
}
