public import StockroomCore
import GRDB

/// What `GET /v1/replenishment` answers.
public struct ReplenishmentReport: Sendable {
    public var suggestions: [ReplenishmentPlanner.Suggestion]
    /// For each location whose data a suggestion used: when this node last received an op
    /// from the store it belongs to (nil: never; this node's own locations are current).
    public var staleness: [String: Staleness]
    public var cells: Int
    public var computedMillis: Int64

    public struct Staleness: Hashable, Sendable {
        public var lastReceivedAt: UInt64?
        public var ageSeconds: Int64?
        public var isOwn: Bool
    }
}

/// What turning suggestions into documents did.
public struct ReplenishmentApplied: Sendable {
    public var created: [DocumentRecord]
    /// Suggestions left as they were, with why (no supplier, a location this node may not
    /// write).
    public var skipped: [(suggestion: ReplenishmentPlanner.Suggestion, reason: String)]
}

extension StockroomStore {
    /// Computes replenishment suggestions (section 11.6), on a read snapshot; optionally
    /// only for one destination location and its sub-locations.
    public func replenishment(location: String? = nil) async throws -> ReplenishmentReport {
        let now = wallMillis()
        let me = nodeID
        return try await read { db in
            let started = ContinuousClock.now
            let input = try Self.replenishmentInput(skus: nil, now: now, db: db)
            var suggestions = ReplenishmentPlanner.plan(input.cells, suppliers: input.suppliers, now: now)
            if let location {
                suggestions = suggestions.filter {
                    $0.key.location == location || $0.key.location.hasPrefix(location + "/")
                }
            }
            let staleness = try Self.staleness(
                of: Set(suggestions.flatMap { [$0.key.location] + $0.sources }), me: me, now: now, db: db)
            let elapsed = ContinuousClock.now - started
            return ReplenishmentReport(
                suggestions: suggestions, staleness: staleness, cells: input.cells.count,
                computedMillis: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        }
    }

    /// Turns suggestions into draft documents: one draft purchase order per (supplier,
    /// location), one draft transfer per (source, destination). The plan is made again
    /// inside the write transaction for the SKUs concerned, so two calls cannot both draft
    /// the same need: the second sees the first's drafts. Idempotent in that sense; a
    /// suggestion without a supplier, or at a location this node may not write, is skipped
    /// with the reason. `automaticOnly` takes only rules with `trigger=auto`.
    public func applyReplenishment(
        location: String? = nil, skus: Set<String>? = nil, automaticOnly: Bool = false, actor: String
    ) async throws -> ReplenishmentApplied {
        let now = wallMillis()
        let planned = try await replenishment(location: location).suggestions.filter {
            (!automaticOnly || $0.automatic) && (skus?.contains($0.key.sku) ?? true)
        }
        guard !planned.isEmpty else { return ReplenishmentApplied(created: [], skipped: []) }
        let concerned = Set(planned.map(\.key.sku))
        return try await groupWriter.submit { db, context in
            let input = try Self.replenishmentInput(skus: concerned, now: now, db: db)
            let wanted = Set(planned.map(\.key))
            let suggestions = ReplenishmentPlanner.plan(input.cells, suppliers: input.suppliers, now: now).filter {
                wanted.contains($0.key) && (!automaticOnly || $0.automatic)
            }
            var skipped: [(ReplenishmentPlanner.Suggestion, String)] = []
            var purchases: [String: [ReplenishmentPlanner.Suggestion]] = [:]
            var transfers: [String: [ReplenishmentPlanner.Suggestion]] = [:]
            for suggestion in suggestions {
                switch suggestion.action {
                case .purchase(nil):
                    skipped.append((suggestion, "no supplier: set one on the reorder rule"))
                case .purchase(let supplier?):
                    guard context.localLocations.permits(suggestion.key.location) else {
                        skipped.append((suggestion, "this node may not write \(suggestion.key.location); apply it on the hub"))
                        continue
                    }
                    purchases["\(supplier)\t\(suggestion.key.location)", default: []].append(suggestion)
                case .transfer(let from):
                    guard context.localLocations.permits(from) else {
                        skipped.append((suggestion, "this node may not ship from \(from); apply it on the hub or at \(from)"))
                        continue
                    }
                    transfers["\(from)\t\(suggestion.key.location)", default: []].append(suggestion)
                }
            }
            var created: [DocumentRecord] = []
            var number = 0
            func draft(_ kind: DocumentKind, location: String, counterpart: String, _ group: [ReplenishmentPlanner.Suggestion])
                throws
            {
                number += 1
                var lines: [String: Int64] = [:]
                for suggestion in group { lines[suggestion.key.sku, default: 0] += suggestion.quantity }
                let event = DocumentEvent(
                    kind: kind, document: "rp-\(now)-\(number)", event: "create", action: .create, location: location,
                    counterpart: counterpart,
                    lines: lines.sorted { $0.key < $1.key }.map { DocumentLine(sku: $0.key, quantity: $0.value) },
                    note: "replenishment")
                created.append(try Self.record(event, actor: actor, device: nil, db: db, context: &context).document)
            }
            for group in purchases.keys.sorted() {
                let parts = group.split(separator: "\t").map(String.init)
                try draft(.purchaseOrder, location: parts[1], counterpart: parts[0], purchases[group]!)
            }
            for group in transfers.keys.sorted() {
                let parts = group.split(separator: "\t").map(String.init)
                try draft(.transfer, location: parts[0], counterpart: parts[1], transfers[group]!)
            }
            return ReplenishmentApplied(created: created, skipped: skipped)
        }
    }

    struct ReplenishmentInput {
        var cells: [ReplenishmentPlanner.Cell]
        var suppliers: [String: ReplenishmentPlanner.SupplierTerms]
    }

    /// Everything the planner needs, read in bulk: rules, the states of every cell of the
    /// SKUs that have a rule, 28 days of sales, drafts, supplier terms.
    static func replenishmentInput(skus filter: Set<String>?, now: UInt64, db: Database) throws -> ReplenishmentInput {
        var rules: [StockKey: ReorderRule] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT key, value FROM settings WHERE namespace = ? AND value IS NOT NULL",
            arguments: [Int64(SettingNamespace.reorderRule.rawValue)])
        {
            guard let key = ReorderRuleKey(row[0]), let rule = ReorderRule.parse(row[1]).value,
                filter?.contains(key.cell.sku) ?? true
            else { continue }
            rules[key.cell] = rule
        }
        let skus = Set(rules.keys.map(\.sku))
        guard !skus.isEmpty else { return ReplenishmentInput(cells: [], suppliers: [:]) }
        var states: [StockKey: StockStates] = [:]
        for (key, _) in rules { states[key] = StockStates() }
        let rows1 = try Row.fetchCursor(db, sql: "SELECT sku, location, quantity FROM stock")
        while let row = try rows1.next() {
            let sku: String = row[0]
            guard skus.contains(sku) else { continue }
            states[StockKey(sku: sku, location: row[1]), default: StockStates()].onHand = row[2]
        }
        let rows2 = try Row.fetchCursor(db, sql: "SELECT sku, location, quantity FROM unavailable WHERE quantity != 0")
        while let row = try rows2.next() {
            let sku: String = row[0]
            guard skus.contains(sku) else { continue }
            states[StockKey(sku: sku, location: row[1]), default: StockStates()].unavailable = row[2]
        }
        let rows3 = try Row.fetchCursor(
            db,
            sql: """
                SELECT sku, location, state, sum(quantity) FROM document_cells
                WHERE state != 'promised' AND (expires_at IS NULL OR expires_at > ?)
                GROUP BY sku, location, state
                """, arguments: [Int64(clamping: now)])
        while let row = try rows3.next()
        {
            let sku: String = row[0]
            guard skus.contains(sku), let state = DocumentState.CellState(rawValue: row[2]) else { continue }
            states[StockKey(sku: sku, location: row[1]), default: StockStates()].add(row[3], to: state)
        }
        var sold: [StockKey: Int64] = [:]
        let since = HLC(millis: now &- UInt64(DaysOfCover.windowDays) * 86_400_000, logical: 0).packed
        let rows4 = try Row.fetchCursor(
            db,
            sql: """
                SELECT sku, location, -sum(quantity) FROM ops WHERE kind = 1 AND reason = 1 AND hlc >= ?
                GROUP BY sku, location
                """, arguments: [since])
        while let row = try rows4.next()
        {
            let sku: String = row[0]
            guard skus.contains(sku) else { continue }
            sold[StockKey(sku: sku, location: row[1])] = row[2]
        }
        var drafted: [StockKey: Int64] = [:]
        let rows5 = try Row.fetchCursor(
            db,
            sql: "SELECT \(documentColumns) FROM documents WHERE status = 'draft' AND kind IN (?, ?)",
            arguments: [Int64(DocumentKind.purchaseOrder.code), Int64(DocumentKind.transfer.code)])
        while let row = try rows5.next()
        {
            let document = try documentRecord(row)
            let destination = document.key.kind == .transfer ? document.counterpart : document.location
            guard let destination else { continue }
            for line in document.lines where skus.contains(line.sku) {
                drafted[StockKey(sku: line.sku, location: destination), default: 0] += line.quantity
            }
        }
        let cells = states.map { key, states in
            ReplenishmentPlanner.Cell(
                key: key, rule: rules[key], states: states, unitsSold: sold[key] ?? 0, drafted: drafted[key] ?? 0)
        }
        var suppliers: [String: ReplenishmentPlanner.SupplierTerms] = [:]
        for name in Set(rules.values.compactMap(\.supplier)) {
            guard let record = try supplier(name, db: db) else { continue }
            var terms = ReplenishmentPlanner.SupplierTerms(
                leadDays: record.fields[.leadTimeDays]?.int ?? 0, minimumOrder: record.fields[.minimumOrder]?.int ?? 0,
                packSize: record.fields[.packSize]?.int ?? 1, active: record.fields[.active] != .int(0))
            for (sku, fields) in record.items {
                if let pack = fields[.itemPackSize]?.int { terms.itemPackSize[sku] = pack }
            }
            suppliers[name] = terms
        }
        return ReplenishmentInput(cells: cells, suppliers: suppliers)
    }

    /// When this node last received an op from the store each location belongs to.
    static func staleness(of locations: Set<String>, me: NodeID, now: UInt64, db: Database) throws
        -> [String: ReplenishmentReport.Staleness]
    {
        var result: [String: ReplenishmentReport.Staleness] = [:]
        for location in locations {
            let owner = String(location.prefix { $0 != "/" })
            if owner == me.rawValue {
                result[location] = .init(lastReceivedAt: now, ageSeconds: 0, isOwn: true)
                continue
            }
            let last = try Int64.fetchOne(
                db,
                sql: "SELECT applied_at FROM ops WHERE origin = ? ORDER BY seq DESC LIMIT 1", arguments: [owner]
            ).map { UInt64(clamping: $0) }
            result[location] = .init(
                lastReceivedAt: last, ageSeconds: last.map { Int64(clamping: (now &- min(now, $0)) / 1000) },
                isOwn: false)
        }
        return result
    }
}

extension StockroomStore {
    /// Sends a purchase order to its supplier by e-mail (a CSV of its lines attached, made
    /// when the message goes out): records the PO's `send` event when it is still a draft,
    /// and queues the message in the same transaction. Idempotent: a second call queues
    /// nothing new and answers the message queued first. Throws ``DocumentRefusal``
    /// `unknown_document`, or `invalid` when the supplier has no e-mail address.
    public func emailPurchaseOrder(_ id: String, actor: String) async throws -> (DocumentRecord, OutboxMessage) {
        let messageID = "po/\(id)/email"
        let now = wallMillis()
        return try await groupWriter.submit { db, context in
            let key = DocumentKey(kind: .purchaseOrder, id: id)
            guard var document = try Self.document(key, db: db) else {
                throw DocumentRefusal(code: .unknownDocument, message: "no purchase order '\(id)'")
            }
            guard let supplierID = document.counterpart, let supplier = try Self.supplier(supplierID, db: db),
                let email = supplier.fields[.email]?.text
            else {
                throw DocumentRefusal(
                    code: .invalid,
                    message:
                        "supplier '\(document.counterpart ?? "")' has no e-mail address; set one with PATCH /v1/suppliers/\(document.counterpart ?? "")"
                )
            }
            if document.status == .draft {
                let event = DocumentEvent(
                    kind: .purchaseOrder, document: id, event: "email-send", action: .send, location: document.location,
                    counterpart: supplierID)
                document = try Self.record(event, actor: actor, device: nil, db: db, context: &context).document
            }
            try Outbox.enqueue(
                id: messageID,
                to: AlertRecipient(id: "supplier:\(supplierID)", channel: .email, address: email, role: "supplier"),
                topic: "po.send", subject: "Purchase order \(id)", episode: nil, document: id, now: now,
                dailyHourUTC: 7, db: db)
            let message = try Row.fetchOne(
                db, sql: "SELECT \(OutboxMessage.columns) FROM outbox WHERE id = ?", arguments: [messageID]
            ).map(OutboxMessage.init)!
            return (document, message)
        }
    }

    /// A purchase order's lines as CSV (RFC 4180): sku, supplier_sku, name, quantity,
    /// unit_cost; cells that start with = + - @ are neutralised against formula injection.
    public func purchaseOrderCSV(_ id: String) async throws -> (DocumentRecord, String)? {
        try await read { db in
            guard let document = try Self.document(DocumentKey(kind: .purchaseOrder, id: id), db: db) else { return nil }
            let supplier = try document.counterpart.flatMap { try Self.supplier($0, db: db) }
            var csv = "sku,supplier_sku,name,quantity,unit_cost\r\n"
            for line in document.lines {
                let name = try String.fetchOne(db, sql: "SELECT name FROM items WHERE sku = ?", arguments: [line.sku])
                let cells = [
                    line.sku, supplier?.items[line.sku]?[.supplierSKU]?.text ?? "", name ?? "", String(line.quantity),
                    line.unitCost.map { InputRules.formatPrice(cents: $0) } ?? "",
                ]
                csv += cells.map(Self.csvCell).joined(separator: ",") + "\r\n"
            }
            return (document, csv)
        }
    }

    static func csvCell(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first), Int64(text) == nil { text = "'" + text }
        guard text.contains(where: { "\",\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
