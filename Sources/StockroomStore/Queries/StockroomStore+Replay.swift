import GRDB
public import StockroomCore

extension StockroomStore {
    /// Everything derived from the op log, for comparison with ``ReferenceReplica`` or
    /// another node.
    public func snapshot() async throws -> ReplicaSnapshot {
        try await read { db in try Self.snapshot(db) }
    }

    static func snapshot(_ db: Database) throws -> ReplicaSnapshot {
        var unreadable: [String] = []
        let snapshot = try snapshot(db, unreadableItems: &unreadable)
        if let first = unreadable.first { throw StoreError.corrupt("item '\(first)' cannot be read") }
        return snapshot
    }

    /// As ``snapshot(_:)``, listing item rows that cannot be read instead of throwing.
    static func snapshot(_ db: Database, unreadableItems: inout [String]) throws -> ReplicaSnapshot {
        var snapshot = ReplicaSnapshot()
        var assigned: [String: Set<ItemField>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sku, field FROM item_registers") {
            if let field = ItemField(code: UInt8(row[1] as Int64)) { assigned[row[0], default: []].insert(field) }
        }
        for row in try Row.fetchAll(db, sql: "SELECT \(ItemRecord.columns) FROM items") {
            guard let item = try? ItemRecord(row: row) else {
                let sku = row[0] as DatabaseValue
                unreadableItems.append(String.fromDatabaseValue(sku) ?? sku.description)
                continue
            }
            var fields: [ItemField: FieldValue] = [:]
            for field in assigned[item.sku] ?? [] { fields[field] = item.value(of: field) }
            snapshot.items[item.sku] = fields
        }
        for row in try Row.fetchAll(db, sql: "SELECT sku, location, quantity FROM stock") {
            snapshot.stock[StockKey(sku: row[0], location: row[1])] = row[2]
        }
        for row in try Row.fetchAll(db, sql: "SELECT ops FROM conflicts WHERE kind = 'concurrent_count'") {
            let ids = (row[0] as String).split(separator: ",").compactMap { OpID(String($0)) }
            if ids.count == 2 { snapshot.concurrentCounts.insert(ConcurrentCountPair(winner: ids[0], loser: ids[1])) }
        }
        for row in try Row.fetchAll(db, sql: "SELECT \(documentColumns) FROM documents") {
            let record = try documentRecord(row)
            snapshot.documents[record.key] = DocumentSummary(
                status: record.status, location: record.location, counterpart: record.counterpart, lines: record.lines)
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT kind, id, sku, location, state, quantity, expires_at, channel FROM document_cells")
        {
            guard let kind = DocumentKind(code: UInt64(row[0] as Int64)),
                let state = DocumentState.CellState(rawValue: row[4])
            else { throw StoreError.corrupt("a document_cells row with an unknown kind or state") }
            snapshot.documentCells.insert(
                DocumentCell(
                    document: DocumentKey(kind: kind, id: row[1]),
                    contribution: DocumentState.Contribution(
                        key: StockKey(sku: row[2], location: row[3]), state: state, quantity: row[5],
                        expiresAt: (row[6] as Int64?).map { UInt64($0) },
                        channel: (row[7] as String?).flatMap(NodeID.init))))
        }
        for row in try Row.fetchAll(db, sql: "SELECT sku, location, quantity FROM unavailable WHERE quantity != 0") {
            snapshot.unavailable[StockKey(sku: row[0], location: row[1])] = row[2]
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT sku, location, channel, granted FROM allowances WHERE granted != 0")
        {
            guard let channel = NodeID(row[2]) else { continue }
            snapshot.allowances[StockKey(sku: row[0], location: row[1]), default: [:]][channel] = row[3]
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT sku, location, units, total_cents FROM cell_costs WHERE units != 0")
        {
            snapshot.costs[StockKey(sku: row[0], location: row[1])] = CellCost(units: row[2], totalCents: row[3])
        }
        for row in try Row.fetchAll(db, sql: "SELECT supplier, sku, field, value FROM supplier_registers") {
            guard let field = SupplierField(code: UInt64(row[2] as Int64)) else { continue }
            let sku: String = row[1]
            snapshot.suppliers[sku.isEmpty ? row[0] : "\(row[0] as String)/\(sku)", default: [:]][field] =
                DocumentApplier.registerValue(row[3])
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT namespace, key, value FROM settings WHERE value IS NOT NULL")
        {
            guard let namespace = SettingNamespace(rawValue: UInt8(clamping: row[0] as Int64)) else { continue }
            snapshot.settings["\(namespace.name)/\(row[1] as String)"] = row[2]
        }
        for row in try Row.fetchAll(db, sql: "SELECT scope, channel, share_percent, keep FROM allowance_policies") {
            guard let scope = AllowancePolicy.Scope(row[0]), let channel = NodeID(row[1]) else { continue }
            snapshot.policies["\(scope) \(channel)"] = AllowancePolicy(
                scope: scope, channel: channel, sharePercent: row[2], keep: row[3])
        }
        return snapshot
    }

    /// Drops every materialised table and rebuilds it by replaying the op log in its
    /// original order. The result must equal what was there: a check that the state is
    /// derived from the log and nothing else, and a repair tool if it ever is not.
    ///
    /// One transaction: a crash mid-rebuild leaves the previous state untouched.
    public func rebuildMaterialisedState() async throws {
        try await groupWriter.submit { db, context in
            try Self.rebuild(db, context: &context)
        }
    }

    /// The body of ``rebuildMaterialisedState()``, in the caller's transaction; also run
    /// once at open after a migration that adds a derived table (meta `rebuild_pending`).
    static func rebuild(_ db: Database, context: inout WriteContext) throws {
        do {
            for table in StoreMigrations.materialisedTables { try db.execute(sql: "DELETE FROM \(table)") }
            try db.execute(sql: "CREATE TEMP TABLE replay_source AS SELECT * FROM ops")
            defer { try? db.execute(sql: "DROP TABLE temp.replay_source") }
            try db.execute(sql: "DELETE FROM ops")
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT \(OpRow.selectColumns), applied_at FROM temp.replay_source ORDER BY lsn")
            var replayContext = try Self.loadContext(nodeID: context.nodeID, wallMillis: context.wallMillis, db: db)
            while let row = try rows.next() {
                let decoded = try OpRow.decode(row)
                let outcome = try OpApplier.apply(
                    decoded.op, recordResult: decoded.resultQuantity != nil, appliedAt: UInt64(row[17] as Int64),
                    in: db, context: &replayContext)
                // Bounded memory on a long log: the summed ledger rows go out every 50,000 cells.
                if replayContext.ledger.cells.count >= 50_000 { try CellLedger.flush(&replayContext.ledger, db: db) }
                if outcome.lsn != decoded.lsn {
                    try db.execute(
                        sql: "UPDATE ops SET lsn = ? WHERE lsn = ?", arguments: [decoded.lsn, outcome.lsn])
                }
            }
            try CellLedger.flush(&replayContext.ledger, db: db)
            let (localLocations, alerts) = (context.localLocations, context.alerts)
            context = try Self.loadContext(nodeID: context.nodeID, wallMillis: context.wallMillis, db: db)
            context.localLocations = localLocations
            context.alerts = alerts
            alerts?.invalidate()
            try db.execute(sql: "DELETE FROM meta WHERE key = 'rebuild_pending'")
        }
    }
}
