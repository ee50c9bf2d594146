import Foundation
import GRDB
import StockroomCore

/// Appends an op to the log and folds it into the materialised tables, in the caller's
/// transaction. The same code applies a local scan, an imported item and (in sync) a
/// peer's op, so there is one implementation of the merge rules against the database.
///
/// Every decision is made by the pure functions in ``StockMerge`` and
/// ``CatalogueMerge``; this type only reads their inputs and writes their outputs.
enum OpApplier {
    /// What applying an op did to its stock cell.
    struct Outcome: Sendable {
        var lsn: Int64
        /// The cell's quantity after the op; nil for catalogue ops.
        var quantity: Int64?
    }

    /// Applies `op`. The caller has checked that the op is not already in the log and that
    /// its seq follows the origin's previous one.
    ///
    /// Not idempotent on its own (the `ops_by_id` unique index rejects a second insert);
    /// replay after a crash is safe because the op and its effects commit together.
    ///
    /// With `requireKnownSKU`, a stock op that opens a new cell for a SKU this node has no
    /// item for (never created, alive or deleted) throws ``OpViolation`` (rule V9): an op
    /// entering the chain from its origin always follows the item's create in causal
    /// order. Checked only when the cell is new, so the hot path pays nothing.
    static func apply(
        _ op: Op, recordResult: Bool, appliedAt: UInt64, requireKnownSKU: Bool = false, in db: Database,
        context: inout WriteContext
    ) throws -> Outcome {
        var quantity: Int64?
        var before: Int64 = 0
        switch op.payload {
        case .delta(let key, let delta, _):
            (before, quantity) = try applyDelta(op, key: key, quantity: delta, requireKnownSKU: requireKnownSKU, db: db)
        case .count(let key, let counted, let cut):
            context.countsApplied &+= 1
            (before, quantity) = try applyCount(
                CountRecord(id: op.id, hlc: op.hlc, counted: counted, context: cut), key: key,
                requireKnownSKU: requireKnownSKU, db: db)
        case .itemCreate, .itemUpdate, .itemDelete:
            try applyCatalogue(op, db: db)
        case .unavailable(let key, let moved):
            if requireKnownSKU { try requireItem(key, op: op.id, db: db) }
            quantity = try DocumentApplier.moveUnavailable(key, quantity: moved, db: db)
        case .event:
            break  // folded below, once the op is in the log with its siblings
        case .allowance(let key, let channel, let moved):
            if requireKnownSKU { try requireItem(key, op: op.id, db: db) }
            try DocumentApplier.moveAllowance(key, channel: channel, quantity: moved, db: db)
        case .allowancePolicy(let policy):
            try DocumentApplier.setPolicy(policy, stamp: op.stamp, db: db)
        case .supplier(let assignment):
            try DocumentApplier.assign(assignment, stamp: op.stamp, db: db)
        case .setting(let setting):
            if try SettingApplier.assign(setting, stamp: op.stamp, db: db),
                setting.namespace == .alertRule || setting.namespace == .alertDelivery
            {
                context.alerts?.invalidate()
            }
        }
        let lsn = try OpRow.insert(
            op, resultQuantity: recordResult ? quantity : nil, appliedAt: appliedAt, in: db)
        if let after = quantity, op.payload.kind == .delta || op.payload.kind == .count {
            try CellLedger.record(op, from: before, to: after, into: &context.ledger, db: db)
        }
        if case .event(let event) = op.payload {
            try DocumentApplier.apply(event, of: op, db: db)
            try CellLedger.recordReceiptCosts(event, of: op, into: &context.ledger, db: db)
        }
        if let alerts = context.alerts {
            let now = context.wallMillis()
            if let key = op.payload.stockKey, op.payload.kind != .allowance {
                let onHand = op.payload.kind == .delta || op.payload.kind == .count ? quantity : nil
                try alerts.evaluate(key, after: op.id, at: op.hlc.millis, now: now, onHand: onHand, db: db)
            } else if case .event(let event) = op.payload {
                for location in event.locations {
                    for sku in Set(event.lines.map(\.sku)).sorted() {
                        try alerts.evaluate(
                            StockKey(sku: sku, location: location), after: op.id, at: op.hlc.millis, now: now, db: db)
                    }
                }
            }
        }
        context.didAppend(op, lsn: lsn)
        return Outcome(lsn: lsn, quantity: quantity)
    }

    /// Numbers, stamps and applies a new op of this node: the one way a local change
    /// enters the log, so seq and clock cannot be advanced any other way.
    static func appendLocal(
        _ payload: OpPayload, actor: String, device: String? = nil, scanID: String? = nil, recordResult: Bool = false,
        facts: OpFacts? = nil, in db: Database, context: inout WriteContext
    ) throws -> (op: Op, outcome: Outcome) {
        if let reason = context.recoveringFrom { throw StoreError.recovering(reason: reason) }
        let (id, hlc) = context.nextLocalID()
        let op = Op(id: id, hlc: hlc, actor: actor, device: device, scanID: scanID, payload: payload, facts: facts)
        // The same rules a peer's op meets (OpRules): a local write that would be refused
        // at the hub must not enter the log, or this node's sync would stop at it.
        if let violation = OpRules.check(op, locations: context.localLocations, wallMillis: context.wallMillis()) {
            throw violation
        }
        let outcome = try apply(
            op, recordResult: recordResult, appliedAt: context.wallMillis(), in: db, context: &context)
        return (op, outcome)
    }

    // MARK: Stock

    private struct Cell {
        var quantity: Int64
        var winningCount: CountRecord?
    }

    private static func fetchCell(_ key: StockKey, db: Database) throws -> Cell? {
        let statement = try HotStatement(
            db,
            """
            SELECT quantity, count_origin, count_seq, count_hlc, count_quantity, count_context
            FROM stock WHERE sku = ? AND location = ?
            """)
        statement.bind(1, key.sku)
        statement.bind(2, key.location)
        return try statement.fetchFirst { row in
            var winner: CountRecord?
            if let origin = row.optionalText(1).flatMap(NodeID.init),
                let context = VersionVector(compactText: row.text(5))
            {
                winner = CountRecord(
                    id: OpID(origin: origin, seq: UInt64(row.int64(2))), hlc: HLC(packed: row.int64(3)),
                    counted: row.int64(4), context: context)
            }
            return Cell(quantity: row.int64(0), winningCount: winner)
        }
    }

    private static func storeCell(_ key: StockKey, _ cell: Cell, hlc: HLC, db: Database) throws {
        let count = cell.winningCount
        let statement = try HotStatement(
            db,
            """
            INSERT INTO stock (sku, location, quantity, count_origin, count_seq, count_hlc, count_quantity,
                               count_context, updated_hlc)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (sku, location) DO UPDATE SET
                quantity = excluded.quantity, count_origin = excluded.count_origin,
                count_seq = excluded.count_seq, count_hlc = excluded.count_hlc,
                count_quantity = excluded.count_quantity, count_context = excluded.count_context,
                updated_hlc = max(updated_hlc, excluded.updated_hlc)
            """)
        statement.bind(1, key.sku)
        statement.bind(2, key.location)
        statement.bind(3, cell.quantity)
        statement.bind(4, count?.id.origin.rawValue)
        statement.bind(5, count.map { Int64($0.id.seq) })
        statement.bind(6, count?.hlc.packed)
        statement.bind(7, count?.counted)
        statement.bind(8, count?.context.compactText)
        statement.bind(9, hlc.packed)
        try statement.execute()
    }

    /// An empty cell, after checking rule V9 when asked.
    private static func newCell(_ key: StockKey, op: OpID, requireKnownSKU: Bool, db: Database) throws -> Cell {
        if requireKnownSKU { try requireItem(key, op: op, db: db) }
        return Cell(quantity: 0)
    }

    /// Rule V9: the receiver has an item (alive or deleted) for the cell's SKU. Also asked
    /// of a peer's unavailable moves and rights, which name a cell without opening it.
    private static func requireItem(_ key: StockKey, op: OpID, db: Database) throws {
        let known = try HotStatement(db, "SELECT 1 FROM items WHERE sku = ?")
        known.bind(1, key.sku)
        guard try known.fetchFirst({ _ in true }) != nil else {
            throw OpViolation(rule: .unknownSKU, op: op, message: "no item '\(key.sku)' was ever created on this node")
        }
    }

    /// Rule S1, incrementally.
    private static func applyDelta(
        _ op: Op, key: StockKey, quantity delta: Int64, requireKnownSKU: Bool, db: Database
    ) throws -> (before: Int64, after: Int64) {
        let cell = try fetchCell(key, db: db) ?? newCell(key, op: op.id, requireKnownSKU: requireKnownSKU, db: db)
        let quantity = StockMerge.quantity(
            cell.quantity, applyingDelta: delta, id: op.id, winningCount: cell.winningCount)
        try storeCell(key, Cell(quantity: quantity, winningCount: cell.winningCount), hlc: op.hlc, db: db)
        try flagNegative(key, from: cell.quantity, to: quantity, op: op.id, hlc: op.hlc, db: db)
        return (cell.quantity, quantity)
    }

    /// Rules S2 and S3: recompute the winner among all counts of the cell, and the quantity
    /// from it when it changed. Counts are rare next to deltas, so this reads the cell's
    /// history rather than keeping more state on the hot path.
    private static func applyCount(
        _ count: CountRecord, key: StockKey, requireKnownSKU: Bool, db: Database
    ) throws -> (before: Int64, after: Int64) {
        let cell = try fetchCell(key, db: db) ?? newCell(key, op: count.id, requireKnownSKU: requireKnownSKU, db: db)
        let others = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT origin, seq, hlc, quantity, body FROM ops WHERE sku = ? AND location = ? AND kind = ?"),
            arguments: [key.sku, key.location, Int64(OpKind.count.rawValue)]
        ).compactMap { row -> CountRecord? in
            guard let origin = NodeID(row[0]), let context = VersionVector(compactText: row[4] ?? "") else {
                return nil
            }
            return CountRecord(
                id: OpID(origin: origin, seq: UInt64(row[1] as Int64)), hlc: HLC(packed: row[2]), counted: row[3],
                context: context)
        }
        for pair in StockMerge.concurrentCountPairs(newCount: count, others: others) {
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, quantity, detail, detected_hlc)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                ConflictKind.concurrentCount.rawValue, key.sku, key.location, "\(pair.winner.id),\(pair.loser.id)",
                pair.loser.counted,
                "count of \(pair.winner.counted) by \(pair.winner.id.origin) superseded concurrent count of \(pair.loser.counted) by \(pair.loser.id.origin)",
                count.hlc.packed,
            ])
        }
        let winner = StockMerge.winningCount(of: others + [count])
        guard winner != cell.winningCount else { return (cell.quantity, cell.quantity) }
        let deltas = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT origin, seq, quantity FROM ops WHERE sku = ? AND location = ? AND kind = ?"),
            arguments: [key.sku, key.location, Int64(OpKind.delta.rawValue)])
        let quantity = StockMerge.quantity(winningCount: winner) { cut in
            deltas.reduce(into: Int64(0)) { sum, row in
                guard let origin = NodeID(row[0]) else { return }
                if !cut.contains(OpID(origin: origin, seq: UInt64(row[1] as Int64))) {
                    sum = StockMerge.sum(sum, row[2] as Int64)
                }
            }
        }
        try storeCell(key, Cell(quantity: quantity, winningCount: winner), hlc: count.hlc, db: db)
        try flagNegative(key, from: cell.quantity, to: quantity, op: count.id, hlc: count.hlc, db: db)
        return (cell.quantity, quantity)
    }

    /// Rule S4: open an oversell conflict when a cell crosses below zero, close it when it
    /// comes back.
    private static func flagNegative(
        _ key: StockKey, from old: Int64, to new: Int64, op: OpID, hlc: HLC, db: Database
    ) throws {
        switch StockMerge.negativeCrossing(from: old, to: new) {
        case .none:
            return
        case .wentNegative:
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, quantity, detail, detected_hlc)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                ConflictKind.oversell.rawValue, key.sku, key.location, op.description, new,
                "stock went from \(old) to \(new)", hlc.packed,
            ])
        case .recovered:
            try db.cachedStatement(
                sql: """
                    UPDATE conflicts SET resolved_hlc = ?
                    WHERE kind = 'oversell' AND sku = ? AND location = ? AND resolved_hlc IS NULL
                    """
            ).execute(arguments: [hlc.packed, key.sku, key.location])
        }
    }

    // MARK: Catalogue

    /// Rules C1 and C2: each assignment that beats its register's stamp is written.
    private static func applyCatalogue(_ op: Op, db: Database) throws {
        let sku = op.payload.sku
        var stamps: [ItemField: Stamp] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT field, hlc, origin FROM item_registers WHERE sku = ?"), arguments: [sku])
        {
            if let field = ItemField(code: UInt8(row[0] as Int64)), let origin = NodeID(row[2]) {
                stamps[field] = Stamp(hlc: HLC(packed: row[1]), origin: origin)
            }
        }
        // In field order, so that each set of fields is one cached statement.
        let winning = CatalogueMerge.winningAssignments(op.payload.assignments, stamp: op.stamp, currentStamps: stamps)
            .sorted { $0.field.code < $1.field.code }
        guard !winning.isEmpty else { return }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO items (sku) VALUES (?)").execute(arguments: [sku])
        // One statement for the registers and one for the row, not two per field: a row
        // updated once is written (and its indexes and search text kept) once.
        var registers: [(any DatabaseValueConvertible)?] = []
        for (field, _) in winning { registers += [sku, Int64(field.code), op.hlc.packed, op.id.origin.rawValue] }
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO item_registers (sku, field, hlc, origin) VALUES "
                + Array(repeating: "(?, ?, ?, ?)", count: winning.count).joined(separator: ", ")
        ).execute(arguments: StatementArguments(registers))
        try db.cachedStatement(
            sql: "UPDATE items SET " + winning.map { "\(column($0.field)) = ?" }.joined(separator: ", ")
                + ", updated_hlc = max(updated_hlc, ?) WHERE sku = ?"
        ).execute(
            arguments: StatementArguments(
                winning.map { columnValue($0.value) } + [op.hlc.packed, sku] as [(any DatabaseValueConvertible)?]))
        for (field, value) in winning {
            if field == .barcodes {
                try db.cachedStatement(sql: "DELETE FROM barcodes WHERE sku = ?").execute(arguments: [sku])
                for code in value.texts ?? [] {
                    guard let canonical = GTIN.canonical(code) else { continue }
                    try db.cachedStatement(
                        sql: "INSERT OR REPLACE INTO barcodes (code, sku, hlc, origin) VALUES (?, ?, ?, ?)"
                    ).execute(arguments: [canonical, sku, op.hlc.packed, op.id.origin.rawValue])
                    try flagSharedBarcode(canonical, sku: sku, op: op, db: db)
                }
            }
        }
    }

    /// Rule B1's conflict: the API and imports refuse a barcode another live item has, but
    /// edits made apart can still merge into two live items with one barcode. Listed so
    /// the operator fixes it; scans keep resolving by rule B1 meanwhile.
    private static func flagSharedBarcode(_ code: String, sku: String, op: Op, db: Database) throws {
        guard
            let other = try String.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT b.sku FROM barcodes b JOIN items i ON i.sku = b.sku AND i.alive = 1
                        WHERE b.code = ? AND b.sku != ? LIMIT 1
                        """), arguments: [code, sku])
        else { return }
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, detail, detected_hlc)
                VALUES (?, ?, NULL, ?, ?, ?)
                """
        ).execute(arguments: [
            ConflictKind.barcodeShared.rawValue, sku, "\(op.id)/\(code)",
            "barcode \(code) is on live items '\(sku)' and '\(other)'; scans find the one whose barcodes were written last (rule B1); remove it from one of them",
            op.hlc.packed,
        ])
    }

    static func column(_ field: ItemField) -> String {
        switch field {
        case .alive: "alive"
        case .name: "name"
        case .description: "description"
        case .category: "category"
        case .price: "price_cents"
        case .barcodes: "barcodes"
        case .threshold: "threshold"
        }
    }

    static func columnValue(_ value: FieldValue) -> (any DatabaseValueConvertible)? {
        switch value {
        case .null: nil
        case .int(let number): number
        case .text(let text): text
        case .texts(let texts):
            // Strings cannot fail to encode. The same text JSONSerialization wrote (OpRowTests).
            String(decoding: try! OpRow.FieldObject.encoder.encode(texts), as: UTF8.self)
        }
    }
}
