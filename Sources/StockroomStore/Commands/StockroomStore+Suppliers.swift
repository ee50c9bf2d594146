import GRDB
public import StockroomCore

/// A supplier and what it supplies, as the registers hold them (section 10.8).
public struct SupplierRecord: Hashable, Sendable {
    public var id: String
    public var fields: [SupplierField: FieldValue]
    /// Per SKU, the supplier item's fields (supplier SKU, unit cost, pack size).
    public var items: [String: [SupplierField: FieldValue]]
}

extension StockroomStore {
    /// Creates a supplier. Throws ``DocumentRefusal`` `supplier_exists` when one with this id
    /// has a name already, ``OpViolation`` (rule V12) for a bad field. Durable when it returns.
    public func createSupplier(
        _ id: String, fields: [SupplierField: FieldValue], actor: String
    ) async throws
        -> SupplierRecord
    {
        guard fields[.name] != nil else {
            throw DocumentRefusal(code: .invalid, message: "a supplier needs a 'name'")
        }
        return try await groupWriter.submit { db, context in
            if try Self.supplier(id, db: db) != nil {
                throw DocumentRefusal(code: .supplierExists, message: "supplier '\(id)' exists; change it with PATCH")
            }
            var assigned = fields
            assigned[.active] = assigned[.active] ?? .int(1)
            _ = try OpApplier.appendLocal(
                .supplier(SupplierAssignment(supplier: id, fields: assigned)), actor: actor, in: db, context: &context)
            return try Self.supplier(id, db: db)!
        }
    }

    /// Assigns fields of a supplier (`sku` nil) or of one of its items. Fields that already
    /// hold the value are not written; an update that changes nothing writes no op. Throws
    /// ``DocumentRefusal`` `unknown_supplier`, or `unknown_sku` for an item the catalogue
    /// lacks, and ``OpViolation`` (rule V12).
    public func updateSupplier(
        _ id: String, sku: String? = nil, fields: [SupplierField: FieldValue], actor: String
    ) async throws -> SupplierRecord {
        try await groupWriter.submit { db, context in
            guard let current = try Self.supplier(id, db: db) else {
                throw DocumentRefusal(code: .unknownSupplier, message: "no supplier '\(id)'; create it first")
            }
            if let sku {
                guard let item = try ItemRecord.fetch(sku: sku, db: db), item.alive else {
                    throw DocumentRefusal(code: .unknownSKU, message: "no live item has SKU '\(sku)'")
                }
            }
            let held = sku.map { current.items[$0] ?? [:] } ?? current.fields
            let changed = fields.filter { held[$0.key] != $0.value }
            if !changed.isEmpty {
                _ = try OpApplier.appendLocal(
                    .supplier(SupplierAssignment(supplier: id, sku: sku, fields: changed)), actor: actor, in: db,
                    context: &context)
            }
            return try Self.supplier(id, db: db)!
        }
    }

    public func supplier(_ id: String) async throws -> SupplierRecord? {
        try await read { db in try Self.supplier(id, db: db) }
    }

    /// Every supplier, by id.
    public func suppliers() async throws -> [SupplierRecord] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT supplier FROM supplier_registers ORDER BY supplier")
                .compactMap { try Self.supplier($0, db: db) }
        }
    }

    /// A supplier whose name register is set, or nil.
    static func supplier(_ id: String, db: Database) throws -> SupplierRecord? {
        var record = SupplierRecord(id: id, fields: [:], items: [:])
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT sku, field, value FROM supplier_registers WHERE supplier = ?"),
            arguments: [id])
        {
            guard let field = SupplierField(code: UInt64(row[1] as Int64)) else { continue }
            let sku: String = row[0]
            let value = DocumentApplier.registerValue(row[2])
            if sku.isEmpty {
                record.fields[field] = value
            } else {
                record.items[sku, default: [:]][field] = value
            }
        }
        guard let name = record.fields[.name], name != .null else { return nil }
        return record
    }
}
