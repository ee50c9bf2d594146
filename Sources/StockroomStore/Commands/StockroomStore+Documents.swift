import Foundation
import GRDB
public import StockroomCore

/// A document as the API shows it: the fold of its events (``DocumentState``).
public struct DocumentRecord: Hashable, Sendable {
    public var key: DocumentKey
    public var status: DocumentState.Status
    public var location: String
    public var counterpart: String?
    public var channel: String?
    public var expiresAt: UInt64?
    public var lines: [DocumentState.Line]
    public var note: String?
    public var openedHLC: HLC?
    public var updatedHLC: HLC
}

/// What recording an event did.
public struct DocumentOutcome: Hashable, Sendable {
    public var document: DocumentRecord
    /// The event id was recorded before: nothing was written, the answer is the document now.
    public var replayed: Bool
    /// The ops written, physical ones first and the event last.
    public var ops: [OpID]
}

/// Filters for ``StockroomStore/documents(_:)``.
public struct DocumentQuery: Sendable {
    public var kind: DocumentKind
    /// Documents at this location, or (transfers) to it.
    public var location: String?
    public var status: DocumentState.Status?
    public var afterID: String?
    public var limit = 100

    public init(kind: DocumentKind) { self.kind = kind }
}

extension StockroomStore {
    /// Records one event of a document (orders, transfers, purchase orders, holds): decides
    /// it with ``DocumentLifecycle`` against the document's current fold and writes the ops
    /// it returns in one transaction. Durable when it returns.
    ///
    /// Idempotent by (document, event id): the same event again writes nothing and answers
    /// the document as it is now, with `replayed`. The same event id with another action
    /// throws ``DocumentRefusal`` `event_id_reused`. Throws ``DocumentRefusal`` for every
    /// refusal of the lifecycle (nothing is written), and ``OpViolation`` for a location
    /// this node may not write.
    public func recordEvent(
        _ event: DocumentEvent, actor: String, device: String? = nil
    ) async throws
        -> DocumentOutcome
    {
        try await groupWriter.submit { db, context in
            try Self.record(event, actor: actor, device: device, db: db, context: &context)
        }
    }

    /// Records several events in one transaction: all of them or, when one is refused,
    /// none (a webhook that means two events is never half-applied). Each is decided
    /// against the document as the ones before it left it. Same contract otherwise as
    /// ``recordEvent(_:actor:device:)``; the outcomes are in order.
    public func recordEvents(
        _ events: [DocumentEvent], actor: String, device: String? = nil
    ) async throws
        -> [DocumentOutcome]
    {
        try await groupWriter.submit { db, context in
            try events.map { try Self.record($0, actor: actor, device: device, db: db, context: &context) }
        }
    }

    static func record(
        _ event: DocumentEvent, actor: String, device: String?, db: Database, context: inout WriteContext
    ) throws -> DocumentOutcome {
        let key = event.key
        if let held = try Self.heldEvent(key, event: event.event, db: db) {
            guard held.action == event.action else {
                throw DocumentRefusal(
                    code: .eventIDReused,
                    message:
                        "event id '\(event.event)' of \(key.kind.noun) \(key.id) was used for a '\(held.action.rawValue)'; use a new id for a new event"
                )
            }
            return DocumentOutcome(document: try Self.document(key, db: db)!, replayed: true, ops: [])
        }
        let events = try DocumentApplier.events(of: key, db: db)
        let state = events.isEmpty ? nil : DocumentState.fold(key, events: events)
        var event = event
        if event.kind == .purchaseOrder, event.action == .create, state == nil {
            // A PO names a supplier this node knows and that is active; lines without a cost
            // take the supplier's cost for the item.
            guard let name = event.counterpart, let supplier = try Self.supplier(name, db: db),
                supplier.fields[.active] != .int(0)
            else {
                throw DocumentRefusal(
                    code: .unknownSupplier,
                    message:
                        "no active supplier '\(event.counterpart ?? "")'; create it with POST /v1/suppliers first")
            }
            for index in event.lines.indices where event.lines[index].unitCost == nil {
                event.lines[index].unitCost = supplier.items[event.lines[index].sku]?[.unitCost]?.int
            }
        }
        if event.action.opens {
            for line in event.lines {
                guard let item = try ItemRecord.fetch(sku: line.sku, db: db), item.alive else {
                    throw DocumentRefusal(
                        code: .unknownSKU, message: "no live item has SKU '\(line.sku)'; add it to the catalogue first")
                }
            }
        }
        if event.action == .place, !event.backorder {
            // Rule A1: promise only from this node's own rights.
            let now = context.wallMillis()
            for line in event.lines {
                let cell = StockKey(sku: line.sku, location: event.location)
                let available = try Self.cellStates(cell, now: now, db: db).available
                if let may = Allowances.shortfall(
                    node: context.nodeID, location: event.location, quantity: line.quantity, available: available,
                    ledger: try Self.ledger(cell, now: now, db: db))
                {
                    throw DocumentRefusal(
                        code: .insufficientAllowance,
                        message:
                            "\(context.nodeID) may promise \(may) more of \(line.sku) at \(event.location), not \(line.quantity); send \"backorder\": true to take it anyway, or get an allowance from the store"
                    )
                }
            }
        }
        let payloads: [OpPayload]
        switch DocumentLifecycle.decide(event, state: state, now: context.wallMillis()) {
        case .failure(let refusal): throw refusal
        case .success(let decided): payloads = decided
        }
        var ids: [OpID] = []
        for payload in payloads {
            let (op, _) = try OpApplier.appendLocal(payload, actor: actor, device: device, in: db, context: &context)
            ids.append(op.id)
        }
        return DocumentOutcome(document: try Self.document(key, db: db)!, replayed: false, ops: ids)
    }

    /// A scan against a document (`ref` in `POST /v1/scans`): a sale against an order
    /// fulfils its line, a receive against a transfer or PO receives it. The event id is
    /// `scan:<device>:<scan id>`, so a retried scan is recognised like any other event.
    /// Throws ``StoreError/unknownCode(_:)`` and the refusals of ``recordEvent(_:actor:device:)``.
    public func recordDocumentScan(_ command: ScanCommand, actor: String) async throws -> DocumentOutcome {
        guard let key = command.reference else { throw StoreError.invalid(field: "ref", message: "missing") }
        let item = try await self.item(code: command.code)
        guard let document = try await document(key), document.openedHLC != nil else {
            throw DocumentRefusal(code: .unknownDocument, message: "no \(key.kind.noun) '\(key.id)' is known here")
        }
        let action: DocumentAction = key.kind == .order ? .fulfil : .receive
        let location =
            command.location
            ?? key.kind.actingLocation(for: action, location: document.location, counterpart: document.counterpart)
        let event = DocumentEvent(
            kind: key.kind, document: key.id, event: "scan:\(command.device ?? "-"):\(command.scanID)", action: action,
            location: location, lines: [DocumentLine(sku: item.sku, quantity: command.quantity)])
        return try await recordEvent(event, actor: actor, device: command.device)
    }

    /// One document, or nil when no event of it is held here.
    public func document(_ key: DocumentKey) async throws -> DocumentRecord? {
        try await read { db in try Self.document(key, db: db) }
    }

    /// The events of a document, oldest first by stamp, with their op ids.
    public func documentEvents(
        _ key: DocumentKey
    ) async throws -> [(op: OpID, hlc: HLC, actor: String, event: DocumentEvent)] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OpRow.qualifiedColumns) FROM document_events d
                    JOIN ops ON ops.origin = d.origin AND ops.seq = d.seq
                    WHERE d.kind = ? AND d.id = ? ORDER BY ops.hlc, ops.origin
                    """, arguments: [Int64(key.kind.code), key.id]
            ).compactMap { row in
                let decoded = try OpRow.decode(row)
                guard case .event(let event) = decoded.op.payload else { return nil }
                return (decoded.op.id, decoded.op.hlc, decoded.op.actor, event)
            }
        }
    }

    /// Documents of one kind, by id, filtered and paged.
    public func documents(_ query: DocumentQuery) async throws -> Page<DocumentRecord> {
        try await read { db in
            var conditions = ["kind = ?"]
            var arguments: [any DatabaseValueConvertible] = [Int64(query.kind.code)]
            if let location = query.location {
                conditions.append("(location = ? OR counterpart = ?)")
                arguments += [location, location]
            }
            if let status = query.status {
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            if let after = query.afterID {
                conditions.append("id > ?")
                arguments.append(after)
            }
            let limit = max(1, min(query.limit, 1000))
            let rows = try Row.fetchAll(
                db,
                sql:
                    "SELECT \(Self.documentColumns) FROM documents WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?",
                arguments: StatementArguments(arguments + [limit + 1]))
            let records = try rows.prefix(limit).map(Self.documentRecord)
            return Page(items: records, next: rows.count > limit ? records.last?.key.id : nil)
        }
    }

    static let documentColumns =
        "kind, id, status, location, counterpart, channel, expires_at, lines, note, opened_hlc, updated_hlc"

    static func document(_ key: DocumentKey, db: Database) throws -> DocumentRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(documentColumns) FROM documents WHERE kind = ? AND id = ?"),
            arguments: [Int64(key.kind.code), key.id]
        ).map(documentRecord)
    }

    static func documentRecord(_ row: Row) throws -> DocumentRecord {
        let code: Int64 = try row.checked(0, "a document's kind")
        guard let kind = DocumentKind(code: UInt64(clamping: code)),
            let status = DocumentState.Status(rawValue: try row.checked(2, "a document's status"))
        else { throw StoreError.corrupt("a document row with an unknown kind or status; run stockroom check --repair") }
        return DocumentRecord(
            key: DocumentKey(kind: kind, id: try row.checked(1, "a document's id")), status: status,
            location: try row.checked(3, "a document's location"),
            counterpart: try row.checkedOptional(4, "counterpart"),
            channel: try row.checkedOptional(5, "channel"),
            expiresAt: (try row.checkedOptional(6, "expires_at") as Int64?).map { UInt64(clamping: $0) },
            lines: try DocumentLines.decode(try row.checked(7, "a document's lines")),
            note: try row.checkedOptional(8, "note"),
            openedHLC: (try row.checkedOptional(9, "opened_hlc") as Int64?).map(HLC.init(packed:)),
            updatedHLC: HLC(packed: try row.checked(10, "updated_hlc")))
    }

    private static func heldEvent(_ key: DocumentKey, event: String, db: Database) throws -> DocumentEvent? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT ops.body, ops.lsn FROM document_events d JOIN ops ON ops.origin = d.origin AND ops.seq = d.seq
                    WHERE d.kind = ? AND d.id = ? AND d.event = ? LIMIT 1
                    """, arguments: [Int64(key.kind.code), key.id, event])
        else { return nil }
        return try OpRow.decodeEvent(row[0] ?? "", at: "the op at lsn \(row[1] as Int64)")
    }
}
