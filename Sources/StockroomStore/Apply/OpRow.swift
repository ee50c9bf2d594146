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
                         result_quantity, applied_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
        try statement.execute()
        return db.lastInsertedRowID
    }

    static let selectColumns =
        "lsn, origin, seq, hlc, kind, sku, location, quantity, reason, body, actor, device, scan_id, result_quantity"

    /// Decodes a row selected with ``selectColumns``. Throws when the row is corrupt.
    static func decode(_ row: Row) throws -> (lsn: Int64, op: Op, resultQuantity: Int64?) {
        guard let origin = NodeID(row[1]), let kind = OpKind(rawValue: UInt8(row[4] as Int64)) else {
            throw DatabaseError(message: "corrupt op row at lsn \(row[0] as Int64)")
        }
        let sku: String = row[5]
        let payload: OpPayload
        switch kind {
        case .delta:
            guard let reason = StockReason(code: UInt8(row[8] as Int64)) else {
                throw DatabaseError(message: "corrupt reason at lsn \(row[0] as Int64)")
            }
            payload = .delta(StockKey(sku: sku, location: row[6]), quantity: row[7], reason: reason)
        case .count:
            guard let context = VersionVector(compactText: row[9] ?? "") else {
                throw DatabaseError(message: "corrupt count context at lsn \(row[0] as Int64)")
            }
            payload = .count(StockKey(sku: sku, location: row[6]), counted: row[7], context: context)
        case .itemCreate, .itemUpdate:
            let fields = try decodeAssignments(row[9] ?? "{}")
            payload =
                kind == .itemCreate ? .itemCreate(sku: sku, fields: fields) : .itemUpdate(sku: sku, fields: fields)
        case .itemDelete:
            payload = .itemDelete(sku: sku)
        }
        let device: String = row[11]
        let op = Op(
            id: OpID(origin: origin, seq: UInt64(row[2] as Int64)), hlc: HLC(packed: row[3]), actor: row[10],
            device: device.isEmpty ? nil : device, scanID: row[12], payload: payload)
        return (row[0], op, row[13])
    }

    /// Assignments as a JSON object keyed by field name.
    static func encode(_ fields: FieldAssignments) -> String {
        var object: [String: Any] = [:]
        for (field, value) in fields { object[field.rawValue] = jsonValue(value) }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func jsonValue(_ value: FieldValue) -> Any {
        switch value {
        case .null: NSNull()
        case .int(let number): NSNumber(value: number)
        case .text(let text): text
        case .texts(let texts): texts
        }
    }

    static func decodeAssignments(_ text: String) throws -> FieldAssignments {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw DatabaseError(message: "corrupt catalogue op body")
        }
        var fields = FieldAssignments()
        for (name, raw) in object {
            guard let field = ItemField(rawValue: name) else { continue }
            switch raw {
            case is NSNull: fields[field] = .null
            case let text as String: fields[field] = .text(text)
            case let texts as [String]: fields[field] = .texts(texts)
            case let number as NSNumber: fields[field] = .int(number.int64Value)
            default: throw DatabaseError(message: "corrupt value for \(name) in catalogue op body")
            }
        }
        return fields
    }
}
