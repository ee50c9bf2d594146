import Foundation
import GRDB
import StockroomCore

/// How an ``Op`` is laid out in the `ops` table, both ways.
///
/// Stock ops keep their numbers in columns (the hot path never parses text); a count's
/// causal context and a catalogue op's assignments go in `body` as text.
enum OpRow {
    static let insertSQL = """
        INSERT INTO ops (origin, seq, hlc, kind, sku, location, quantity, reason, body, actor, device, scan_id,
                         result_quantity, applied_at, occurred_at, unit_cost, unit_price)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func insert(_ op: Op, resultQuantity: Int64?, appliedAt: UInt64, in db: Database) throws -> Int64 {
        var location: String?
        var quantity: Int64?
        var reason: Int64?
        var body: String?
        switch op.payload {
        case .delta(let key, let delta, let why):
            (location, quantity, reason) = (key.location, delta, Int64(why.code))
        case .count(let key, let counted, let context):
            (location, quantity, body) = (key.location, counted, context.compactText)
        case .itemCreate(_, let fields), .itemUpdate(_, let fields):
            body = encode(fields)
        case .itemDelete:
            break
        case .unavailable(let key, let moved):
            (location, quantity) = (key.location, moved)
        case .event(let event):
            location = event.location
            body = encode(event)
        case .allowance(let key, let channel, let moved):
            (location, quantity, body) = (key.location, moved, channel.rawValue)
        case .allowancePolicy(let policy):
            body = "\(policy.sharePercent) \(policy.keep) \(policy.channel) \(policy.scope)"
        case .supplier(let assignment):
            location = assignment.supplier
            body = encode(assignment)
        case .setting(let setting):
            // Namespace in `quantity`; "key TAB value" in `body` (a key holds no control
            // characters); no tab when the register is cleared.
            quantity = Int64(setting.namespace.rawValue)
            body = setting.value.map { "\(setting.key)\t\($0)" } ?? setting.key
        }
        let statement = try HotStatement(db, insertSQL)
        statement.bind(1, op.id.origin.rawValue)
        statement.bind(2, Int64(op.id.seq))
        statement.bind(3, op.hlc.packed)
        statement.bind(4, Int64(op.payload.kind.rawValue))
        statement.bind(5, op.payload.sku)
        statement.bind(6, location)
        statement.bind(7, quantity)
        statement.bind(8, reason)
        statement.bind(9, body)
        statement.bind(10, op.actor)
        statement.bind(11, op.device ?? "")
        statement.bind(12, op.scanID)
        statement.bind(13, resultQuantity)
        statement.bind(14, Int64(appliedAt))
        statement.bind(15, op.facts?.occurredAt.map { Int64($0) })
        statement.bind(16, op.facts?.unitCost)
        statement.bind(17, op.facts?.unitPrice)
        try statement.execute()
        return db.lastInsertedRowID
    }

    /// Whether the log holds the op with this id.
    static func isHeld(_ id: OpID, db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM ops WHERE origin = ? AND seq = ?)"),
            arguments: [id.origin.rawValue, Int64(id.seq)]) ?? false
    }

    static let selectColumns =
        "lsn, origin, seq, hlc, kind, sku, location, quantity, reason, body, actor, device, scan_id, result_quantity, occurred_at, unit_cost, unit_price"

    /// ``selectColumns`` qualified by the table name `ops`, for joins.
    static let qualifiedColumns = selectColumns.split(separator: ", ").map { "ops.\($0)" }.joined(separator: ", ")

    /// Decodes a row selected with ``selectColumns``. Throws when the row is corrupt.
    /// Throws ``StoreError/corrupt(_:)`` for a row that no valid op could have written;
    /// never traps, so `stockroom check` can list such rows instead of dying on them.
    static func decode(_ row: Row) throws -> (lsn: Int64, op: Op, resultQuantity: Int64?) {
        let lsn: Int64 = try row.checked(0, "an op's lsn")
        let at = "the op at lsn \(lsn)"
        func corrupt(_ what: String) -> StoreError { .corrupt("\(at): \(what)") }
        let originText: String = try row.checked(1, "\(at) origin")
        let seq: Int64 = try row.checked(2, "\(at) seq")
        let code: Int64 = try row.checked(4, "\(at) kind")
        guard let origin = NodeID(originText), seq > 0, let kind = OpKind(rawValue: UInt8(clamping: code)), code <= 255
        else { throw corrupt("bad origin, seq or kind") }
        let hlc: Int64 = try row.checked(3, "\(at) hlc")
        guard let stamp = HLC(validatingPacked: hlc), stamp.millis < (1 << 47) else { throw corrupt("bad hlc") }
        let sku: String = try row.checked(5, "\(at) sku")
        let payload: OpPayload
        switch kind {
        case .delta:
            let reasonCode: Int64 = try row.checked(8, "\(at) reason")
            guard reasonCode <= 255, let reason = StockReason(code: UInt8(clamping: reasonCode)) else {
                throw corrupt("unknown reason \(reasonCode)")
            }
            payload = .delta(
                StockKey(sku: sku, location: try row.checked(6, "\(at) location")),
                quantity: try row.checked(7, "\(at) quantity"), reason: reason)
        case .count:
            guard let context = VersionVector(compactText: try row.checkedOptional(9, "\(at) body") ?? "") else {
                throw corrupt("bad count context")
            }
            payload = .count(
                StockKey(sku: sku, location: try row.checked(6, "\(at) location")),
                counted: try row.checked(7, "\(at) quantity"), context: context)
        case .itemCreate, .itemUpdate:
            let fields = try decodeAssignments(try row.checkedOptional(9, "\(at) body") ?? "{}", at: at)
            payload =
                kind == .itemCreate ? .itemCreate(sku: sku, fields: fields) : .itemUpdate(sku: sku, fields: fields)
        case .itemDelete:
            payload = .itemDelete(sku: sku)
        case .unavailable:
            payload = .unavailable(
                StockKey(sku: sku, location: try row.checked(6, "\(at) location")),
                quantity: try row.checked(7, "\(at) quantity"))
        case .event:
            payload = .event(try decodeEvent(try row.checkedOptional(9, "\(at) body") ?? "", at: at))
        case .allowance:
            guard let channel = NodeID(try row.checkedOptional(9, "\(at) body") ?? "") else {
                throw corrupt("bad allowance channel")
            }
            payload = .allowance(
                StockKey(sku: sku, location: try row.checked(6, "\(at) location")), channel: channel,
                quantity: try row.checked(7, "\(at) quantity"))
        case .supplier:
            let supplier: String = try row.checked(6, "\(at) supplier")
            payload = .supplier(
                try decodeSupplier(
                    try row.checkedOptional(9, "\(at) body") ?? "{}", supplier: supplier, sku: sku.isEmpty ? nil : sku,
                    at: at))
        case .setting:
            let code: Int64 = try row.checked(7, "\(at) quantity")
            guard let namespace = SettingNamespace(rawValue: UInt8(clamping: code)), code <= 255 else {
                throw corrupt("bad setting namespace")
            }
            let parts = (try row.checkedOptional(9, "\(at) body") ?? "").split(
                separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            payload = .setting(
                Setting(namespace: namespace, key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : nil))
        case .allowancePolicy:
            // "share keep channel scope": the scope last, since a category may hold spaces.
            let parts = (try row.checkedOptional(9, "\(at) body") ?? "").split(
                separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, let share = Int64(parts[0]), let keep = Int64(parts[1]),
                let channel = NodeID(String(parts[2])), let scope = AllowancePolicy.Scope(String(parts[3]))
            else { throw corrupt("bad allowance policy") }
            payload = .allowancePolicy(AllowancePolicy(scope: scope, channel: channel, sharePercent: share, keep: keep))
        }
        let device: String = try row.checked(11, "\(at) device")
        let op = Op(
            id: OpID(origin: origin, seq: UInt64(seq)), hlc: stamp, actor: try row.checked(10, "\(at) actor"),
            device: device.isEmpty ? nil : device, scanID: try row.checkedOptional(12, "\(at) scan_id"),
            payload: payload,
            facts: OpFacts(
                occurredAt: (try row.checkedOptional(14, "\(at) occurred_at") as Int64?).map { UInt64(clamping: $0) },
                unitCost: try row.checkedOptional(15, "\(at) unit_cost"),
                unitPrice: try row.checkedOptional(16, "\(at) unit_price")))
        return (lsn, op, try row.checkedOptional(13, "\(at) result_quantity"))
    }

    /// A document event in the `body` column (``DocumentEvent/compactText``).
    static func encode(_ event: DocumentEvent) -> String { event.compactText }

    static func decodeEvent(_ text: String, at: String) throws -> DocumentEvent {
        guard let event = DocumentEvent(compactText: text) else {
            throw StoreError.corrupt("\(at): the event body is not a document event")
        }
        return event
    }

    /// A supplier op's fields as a JSON object keyed by field name (the supplier and sku are
    /// in the `location` and `sku` columns).
    static func encode(_ assignment: SupplierAssignment) -> String {
        FieldObject(fields: assignment.fields.map { ($0.key.rawValue, $0.value) }).text
    }

    static func decodeSupplier(_ text: String, supplier: String, sku: String?, at: String) throws -> SupplierAssignment
    {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw StoreError.corrupt("\(at): the supplier op body is not a JSON object")
        }
        var fields: [SupplierField: FieldValue] = [:]
        for (name, raw) in object {
            guard let field = SupplierField(rawValue: name) else { continue }
            switch raw {
            case is NSNull: fields[field] = .null
            case let text as String: fields[field] = .text(text)
            case let number as NSNumber: fields[field] = .int(number.int64Value)
            default: throw StoreError.corrupt("\(at): bad value for \(name) in the supplier op body")
            }
        }
        return SupplierAssignment(supplier: supplier, sku: sku, fields: fields)
    }

    /// Assignments as a JSON object keyed by field name.
    static func encode(_ fields: FieldAssignments) -> String {
        FieldObject(fields: fields.map { ($0.0.rawValue, $0.1) }).text
    }

    /// Fields as one JSON object with sorted keys, through `JSONEncoder`: the same text
    /// `JSONSerialization` wrote (`OpRowTests` checks it), ten times faster. With
    /// JSONSerialization (an `NSNumber` and ICU collation per key) it was a quarter of
    /// the CPU of applying a catalogue, 50 µs an op.
    struct FieldObject: Encodable {
        let fields: [(String, FieldValue)]

        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return encoder
        }()

        var text: String {
            // Encoding strings, integers and nulls cannot fail.
            String(decoding: try! Self.encoder.encode(self), as: UTF8.self)
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (name, value) in fields {
                let key = Key(stringValue: name)
                switch value {
                case .null: try container.encodeNil(forKey: key)
                case .int(let number): try container.encode(number, forKey: key)
                case .text(let text): try container.encode(text, forKey: key)
                case .texts(let texts): try container.encode(texts, forKey: key)
                }
            }
        }
    }

    static func jsonValue(_ value: FieldValue) -> Any {
        switch value {
        case .null: NSNull()
        case .int(let number): NSNumber(value: number)
        case .text(let text): text
        case .texts(let texts): texts
        }
    }

    static func decodeAssignments(_ text: String, at: String) throws -> FieldAssignments {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw StoreError.corrupt("\(at): the catalogue op body is not a JSON object")
        }
        var fields = FieldAssignments()
        for (name, raw) in object {
            guard let field = ItemField(rawValue: name) else { continue }
            switch raw {
            case is NSNull: fields[field] = .null
            case let text as String: fields[field] = .text(text)
            case let texts as [String]: fields[field] = .texts(texts)
            case let number as NSNumber:
                let whole = number.int64Value
                guard number.isEqual(to: NSNumber(value: whole)) else {
                    throw StoreError.corrupt("\(at): \(name) is not a whole number")
                }
                fields[field] = .int(whole)
            default: throw StoreError.corrupt("\(at): bad value for \(name) in the catalogue op body")
            }
        }
        return fields
    }
}
