import GRDB
public import StockroomCore

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
                computedMillis: elapsed.components.seconds * 1000 + elapsed.components.attoseconds
                    / 1_000_000_000_000_000)
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
                        skipped.append(
                            (suggestion, "this node may not write \(suggestion.key.location); apply it on the hub"))
                        continue
                    }
                    purchases["\(supplier)\t\(suggestion.key.location)", default: []].append(suggestion)
                case .transfer(let from):
                    guard context.localLocations.permits(from) else {
                        skipped.append(
                            (suggestion, "this node may not ship from \(from); apply it on the hub or at \(from)"))
                        continue
                    }
                    transfers["\(from)\t\(suggestion.key.location)", default: []].append(suggestion)
                }
            }
            var created: [DocumentRecord] = []
            var number = 0
            func draft(
                _ kind: DocumentKind, location: String, counterpart: String, _ group: [ReplenishmentPlanner.Suggestion]
            )
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

    /// Everything the planner needs, in one pass of one query: every reorder rule with its
    /// cell's states and 28 days of sales (index lookups per rule, in SQLite), then the
    /// drafts and the suppliers' terms. Transfer sources without a rule of their own are
    /// read apart (they can only give, on a `transfer:` route).
    static func replenishmentInput(skus filter: Set<String>?, now: UInt64, db: Database) throws -> ReplenishmentInput {
        let since = HLC(millis: now &- UInt64(DaysOfCover.windowDays) * 86_400_000, logical: 0).packed
        let statement = try HotStatement(
            db,
            """
            WITH rules AS (
                SELECT key, value, substr(key, 1, instr(key, '|') - 1) AS sku, substr(key, instr(key, '|') + 1) AS location
                FROM settings WHERE namespace = ?1 AND value IS NOT NULL)
            SELECT r.sku, r.location, r.value,
                (SELECT quantity FROM stock WHERE sku = r.sku AND location = r.location),
                (SELECT quantity FROM unavailable WHERE sku = r.sku AND location = r.location),
                (SELECT sum(quantity) FROM document_cells WHERE sku = r.sku AND location = r.location AND state = 'committed'),
                (SELECT sum(quantity) FROM document_cells WHERE sku = r.sku AND location = r.location AND state = 'held'
                    AND (expires_at IS NULL OR expires_at > ?2)),
                (SELECT sum(quantity) FROM document_cells WHERE sku = r.sku AND location = r.location AND state = 'incoming'),
                (SELECT sum(quantity) FROM document_cells WHERE sku = r.sku AND location = r.location AND state = 'in_transit'),
                (SELECT -sum(quantity) FROM ops WHERE sku = r.sku AND location = r.location AND kind = 1 AND reason = 1
                    AND hlc >= ?3),
                f.level, f.sigma, f.model
            FROM rules r LEFT JOIN forecasts f ON f.sku = r.sku AND f.location = r.location
            """)
        statement.bind(1, Int64(SettingNamespace.reorderRule.rawValue))
        statement.bind(2, Int64(clamping: now))
        statement.bind(3, since)
        var cells: [ReplenishmentPlanner.Cell] = []
        var sources: Set<StockKey> = []
        try statement.forEach { row in
            let sku = row.text(0)
            guard filter?.contains(sku) ?? true, let rule = ReorderRule.parse(row.text(2)).value else { return }
            let states = StockStates(
                onHand: row.optionalInt64(3) ?? 0, committed: row.optionalInt64(5) ?? 0,
                held: row.optionalInt64(6) ?? 0,
                unavailable: row.optionalInt64(4) ?? 0, incoming: row.optionalInt64(7) ?? 0,
                inTransit: row.optionalInt64(8) ?? 0)
            let key = StockKey(sku: sku, location: row.text(1))
            if case .transfer(let from) = rule.route { sources.insert(StockKey(sku: sku, location: from)) }
            var forecast: ReplenishmentPlanner.DemandEstimate?
            if let model = row.optionalText(12) {
                forecast = .init(daily: row.double(10), sigma: row.double(11), model: model)
            }
            cells.append(
                .init(
                    key: key, rule: rule, states: states, unitsSold: row.optionalInt64(9) ?? 0, forecast: forecast))
        }
        guard !cells.isEmpty else { return ReplenishmentInput(cells: [], suppliers: [:]) }
        let ruled = Set(cells.map(\.key))
        for source in sources.subtracting(ruled) {
            cells.append(.init(key: source, rule: nil, states: try cellStates(source, now: now, db: db)))
        }
        var drafted: [StockKey: Int64] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT \(documentColumns) FROM documents WHERE status = 'draft' AND kind IN (?, ?)",
            arguments: [Int64(DocumentKind.purchaseOrder.code), Int64(DocumentKind.transfer.code)])
        while let row = try rows.next() {
            let document = try documentRecord(row)
            let destination = document.key.kind == .transfer ? document.counterpart : document.location
            guard let destination else { continue }
            for line in document.lines {
                drafted[StockKey(sku: line.sku, location: destination), default: 0] += line.quantity
            }
        }
        if !drafted.isEmpty {
            for index in cells.indices { cells[index].drafted = drafted[cells[index].key] ?? 0 }
        }
        var suppliers: [String: ReplenishmentPlanner.SupplierTerms] = [:]
        for name in Set(cells.compactMap(\.rule?.supplier)) {
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
    static func staleness(
        of locations: Set<String>, me: NodeID, now: UInt64, db: Database
    ) throws
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
            guard let document = try Self.document(DocumentKey(kind: .purchaseOrder, id: id), db: db) else {
                return nil
            }
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

    static func csvCell(_ text: String) -> String { ReportTable.csvField(text) }
}
