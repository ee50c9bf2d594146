import Foundation
import GRDB
import StockroomCore

/// Folds document events and unavailable moves into the materialised tables, in the
/// caller's transaction (sync-protocol section 10). Every decision is the core's
/// (``DocumentState``); this type reads a document's events and writes what the fold says.
enum DocumentApplier {
    /// Adds `quantity` to a cell's unavailable units; returns the new total.
    static func moveUnavailable(_ key: StockKey, quantity: Int64, db: Database) throws -> Int64 {
        let current =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT quantity FROM unavailable WHERE sku = ? AND location = ?"),
                arguments: [key.sku, key.location]) ?? 0
        let total = StockMerge.sum(current, quantity)
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO unavailable (sku, location, quantity) VALUES (?, ?, ?)"
        ).execute(arguments: [key.sku, key.location, total])
        return total
    }

    /// Adds `quantity` to the rights of `channel` at a cell (section 10.6).
    static func moveAllowance(_ key: StockKey, channel: NodeID, quantity: Int64, db: Database) throws {
        let current =
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT granted FROM allowances WHERE sku = ? AND location = ? AND channel = ?"),
                arguments: [key.sku, key.location, channel.rawValue]) ?? 0
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO allowances (sku, location, channel, granted) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [key.sku, key.location, channel.rawValue, StockMerge.sum(current, quantity)])
    }

    /// Writes what the document adds to cells, touching only the rows that changed (most
    /// events change one line's numbers, or none: a note, a send).
    private static func storeCells(_ state: DocumentState, kind: Int64, db: Database) throws {
        struct Row: Hashable {
            var sku: String
            var location: String
            var state: String
            var quantity: Int64
            var expiresAt: Int64?
            var channel: String?
        }
        var held = Set<Row>()
        let read = try HotStatement(
            db,
            "SELECT sku, location, state, quantity, expires_at, channel FROM document_cells WHERE kind = ? AND id = ?")
        read.bind(1, kind)
        read.bind(2, state.key.id)
        try read.forEach {
            held.insert(
                Row(
                    sku: $0.text(0), location: $0.text(1), state: $0.text(2), quantity: $0.int64(3),
                    expiresAt: $0.optionalInt64(4), channel: $0.optionalText(5)))
        }
        var wanted: [String: Row] = [:]
        for contribution in state.contributions {
            let row = Row(
                sku: contribution.key.sku, location: contribution.key.location, state: contribution.state.rawValue,
                quantity: contribution.quantity, expiresAt: contribution.expiresAt.map { Int64($0) },
                channel: contribution.channel?.rawValue)
            let name = "\(row.sku)\u{1}\(row.location)\u{1}\(row.state)"
            if var existing = wanted[name] {  // one line per SKU, so only a corrupt fold repeats a cell
                existing.quantity = StockMerge.sum(existing.quantity, row.quantity)
                wanted[name] = existing
            } else {
                wanted[name] = row
            }
        }
        let keep = Set(wanted.values)
        let kept = Set(keep.map { "\($0.sku)\u{1}\($0.location)\u{1}\($0.state)" })
        // A changed row is replaced below; only a row the fold no longer gives is deleted.
        for row in held.subtracting(keep) where !kept.contains("\(row.sku)\u{1}\(row.location)\u{1}\(row.state)") {
            let delete = try HotStatement(
                db, "DELETE FROM document_cells WHERE kind = ? AND id = ? AND sku = ? AND location = ? AND state = ?")
            delete.bind(1, kind)
            delete.bind(2, state.key.id)
            delete.bind(3, row.sku)
            delete.bind(4, row.location)
            delete.bind(5, row.state)
            try delete.execute()
        }
        for row in keep.subtracting(held) {
            let write = try HotStatement(
                db,
                """
                INSERT OR REPLACE INTO document_cells (kind, id, sku, location, state, quantity, expires_at, channel)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            write.bind(1, kind)
            write.bind(2, state.key.id)
            write.bind(3, row.sku)
            write.bind(4, row.location)
            write.bind(5, row.state)
            write.bind(6, row.quantity)
            write.bind(7, row.expiresAt)
            write.bind(8, row.channel)
            try write.execute()
        }
    }

    /// Section 10.7: a receipt's units at their cost, added to the cell's.
    static func addCost(_ line: DocumentLine, at key: StockKey, db: Database) throws {
        var cost = try cellCost(key, db: db)
        cost.add(line)
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO cell_costs (sku, location, units, total_cents) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [key.sku, key.location, cost.units, cost.totalCents])
    }

    static func cellCost(_ key: StockKey, db: Database) throws -> CellCost {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT units, total_cents FROM cell_costs WHERE sku = ? AND location = ?"),
            arguments: [key.sku, key.location]
        ).map { CellCost(units: $0[0], totalCents: $0[1]) } ?? CellCost()
    }

    /// Section 10.8: each assignment that beats its register's stamp is written.
    static func assign(_ assignment: SupplierAssignment, stamp: Stamp, db: Database) throws {
        for (field, value) in assignment.fields {
            let arguments: StatementArguments = [assignment.supplier, assignment.sku ?? "", Int64(field.code)]
            if let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT hlc, origin FROM supplier_registers WHERE supplier = ? AND sku = ? AND field = ?"),
                arguments: arguments), let origin = NodeID(row[1]),
                Stamp(hlc: HLC(packed: row[0]), origin: origin) > stamp
            {
                continue
            }
            let json = String(
                decoding: try JSONSerialization.data(withJSONObject: [OpRow.jsonValue(value)]), as: UTF8.self)
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO supplier_registers (supplier, sku, field, value, hlc, origin)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: arguments + [json, stamp.hlc.packed, stamp.origin.rawValue])
        }
    }

    /// A register's stored value (a one-element JSON array).
    static func registerValue(_ json: String) -> FieldValue {
        guard let array = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any], let raw = array.first
        else {
            return .null
        }
        switch raw {
        case let text as String: return .text(text)
        case let number as NSNumber: return .int(number.int64Value)
        default: return .null
        }
    }

    /// Rule A3's register: the policy with the highest stamp per (scope, channel) wins.
    static func setPolicy(_ policy: AllowancePolicy, stamp: Stamp, db: Database) throws {
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT hlc, origin FROM allowance_policies WHERE scope = ? AND channel = ?"),
            arguments: [policy.scope.description, policy.channel.rawValue]),
            let origin = NodeID(row[1]), Stamp(hlc: HLC(packed: row[0]), origin: origin) > stamp
        {
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO allowance_policies (scope, channel, share_percent, keep, hlc, origin)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            policy.scope.description, policy.channel.rawValue, policy.sharePercent, policy.keep, stamp.hlc.packed,
            stamp.origin.rawValue,
        ])
    }

    /// Records `event` (already in the log as `op`) against its document and refolds the
    /// document from all its events: status, lines, contributions to cells, issues.
    ///
    /// Idempotent for a given set of events: the result depends on the set, not on which
    /// event arrived last.
    static func apply(_ event: DocumentEvent, of op: Op, db: Database) throws {
        let key = event.key
        let kind = Int64(key.kind.code)
        // The same event id recorded by another node (the door refuses it on one node):
        // both stay, since both moved units; a person looks at it. (Statements on this path
        // are bound directly, as the scan path's are: a hub applies thousands of events.)
        var twins: [String] = []
        let findTwins = try HotStatement(
            db, "SELECT origin || ':' || seq FROM document_events WHERE kind = ? AND id = ? AND event = ?")
        findTwins.bind(1, kind)
        findTwins.bind(2, key.id)
        findTwins.bind(3, event.event)
        try findTwins.forEach { twins.append($0.text(0)) }
        let insert = try HotStatement(
            db, "INSERT OR IGNORE INTO document_events (kind, id, origin, seq, event) VALUES (?, ?, ?, ?, ?)")
        insert.bind(1, kind)
        insert.bind(2, key.id)
        insert.bind(3, op.id.origin.rawValue)
        insert.bind(4, Int64(op.id.seq))
        insert.bind(5, event.event)
        try insert.execute()
        for twin in twins {
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, detail, detected_hlc)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                ConflictKind.duplicateEvent.rawValue, event.lines.first?.sku ?? "", event.location,
                "\(twin),\(op.id)",
                "\(key.kind.noun) \(key.id): event '\(event.event)' was recorded twice, on two nodes; both moved stock — check the units and correct with a count",
                op.hlc.packed,
            ])
        }
        for line in CellCost.receipts(of: event) {
            try addCost(line, at: StockKey(sku: line.sku, location: event.location), db: db)
        }
        let state = DocumentState.fold(key, events: try events(of: key, db: db))
        try store(state, hlc: op.hlc, db: db)
    }

    /// Every event of a document with its stamp.
    static func events(of key: DocumentKey, db: Database) throws -> [(event: DocumentEvent, stamp: Stamp)] {
        let statement = try HotStatement(
            db,
            """
            SELECT o.origin, o.hlc, o.body, o.lsn FROM document_events d
            JOIN ops o ON o.origin = d.origin AND o.seq = d.seq
            WHERE d.kind = ? AND d.id = ?
            """)
        statement.bind(1, Int64(key.kind.code))
        statement.bind(2, key.id)
        var events: [(event: DocumentEvent, stamp: Stamp)] = []
        try statement.forEach { row in
            guard let origin = NodeID(row.text(0)) else { throw StoreError.corrupt("an event with a bad origin") }
            let event = try OpRow.decodeEvent(row.text(2), at: "the op at lsn \(row.int64(3))")
            events.append((event, Stamp(hlc: HLC(packed: row.int64(1)), origin: origin)))
        }
        return events
    }

    /// Writes a folded document, its contributions and its issues.
    private static func store(_ state: DocumentState, hlc: HLC, db: Database) throws {
        let kind = Int64(state.key.kind.code)
        // An upsert, not INSERT OR REPLACE: a replace deletes and re-inserts the row and its
        // index entries at every event; an update touches only what changed.
        let document = try HotStatement(
            db,
            """
            INSERT INTO documents
                (kind, id, status, location, counterpart, channel, expires_at, lines, note, opened_hlc, updated_hlc)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (kind, id) DO UPDATE SET
                status = excluded.status, location = excluded.location, counterpart = excluded.counterpart,
                channel = excluded.channel, expires_at = excluded.expires_at, lines = excluded.lines,
                note = excluded.note, opened_hlc = excluded.opened_hlc, updated_hlc = excluded.updated_hlc
            """)
        document.bind(1, kind)
        document.bind(2, state.key.id)
        document.bind(3, state.status.rawValue)
        document.bind(4, state.location)
        document.bind(5, state.counterpart)
        document.bind(6, state.channel?.rawValue)
        document.bind(7, state.expiresAt.map { Int64($0) })
        document.bind(8, DocumentLines.encode(state.lines))
        document.bind(9, state.terminalNote ?? state.resolution)
        document.bind(10, state.opened?.hlc.packed)
        document.bind(11, hlc.packed)
        try document.execute()
        try storeCells(state, kind: kind, db: db)
        // Issues are a function of the document's events: one that the fold no longer gives
        // (it came from events that arrived before the document's opening) goes.
        let identities = state.issues.map { "\(state.key)/\($0.code)/\($0.sku ?? "")" }
        let prefix = "\(state.key)/"
        for stale in try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT ops FROM conflicts
                    WHERE kind IN ('transfer_discrepancy', 'over_fulfilled', 'document_reopened') AND ops >= ? AND ops < ?
                    """), arguments: [prefix, "\(state.key)0"])
        where !identities.contains(stale) && stale.dropFirst(prefix.count).split(separator: "/").count == 2 {
            try db.cachedStatement(sql: "DELETE FROM conflicts WHERE ops = ?").execute(arguments: [stale])
        }
        for issue in state.issues {
            let identity = "\(state.key)/\(issue.code)/\(issue.sku ?? "")"
            try db.cachedStatement(
                sql: """
                    INSERT INTO conflicts (kind, sku, location, ops, detail, detected_hlc, resolved_hlc)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (kind, ops) DO UPDATE SET detail = excluded.detail,
                        resolved_hlc = CASE WHEN excluded.resolved_hlc IS NULL THEN NULL
                                            ELSE coalesce(resolved_hlc, excluded.resolved_hlc) END
                    """
            ).execute(arguments: [
                issue.code, issue.sku ?? "", state.counterpart ?? state.location, identity, issue.detail, hlc.packed,
                issue.resolved ? hlc.packed : nil,
            ])
        }
    }
}

/// A document's lines as stored in `documents.lines`, both ways: one line per document
/// line, tab-separated sku, quantity, done, received, second, unit cost (empty for none).
/// Written at every event of the document, so not JSON.
enum DocumentLines {
    static func encode(_ lines: [DocumentState.Line]) -> String {
        lines.map {
            "\($0.sku)\t\($0.quantity)\t\($0.done)\t\($0.received)\t\($0.second)\t\($0.unitCost.map(String.init) ?? "")"
        }.joined(separator: "\n")
    }

    static func decode(_ text: String) throws -> [DocumentState.Line] {
        guard !text.isEmpty else { return [] }
        return try text.split(separator: "\n").map { row in
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 6, let quantity = Int64(fields[1]), let done = Int64(fields[2]),
                let received = Int64(fields[3]), let second = Int64(fields[4]),
                fields[5].isEmpty || Int64(fields[5]) != nil
            else {
                throw StoreError.corrupt("a document's lines are not readable; run stockroom check --repair")
            }
            var line = DocumentState.Line(sku: String(fields[0]), quantity: quantity)
            line.done = done
            line.received = received
            line.second = second
            line.unitCost = Int64(fields[5])
            return line
        }
    }
}
