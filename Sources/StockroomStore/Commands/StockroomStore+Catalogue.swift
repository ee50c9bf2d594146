import GRDB
public import StockroomCore

extension StockroomStore {
    /// Creates an item; fields left out get their defaults. Durable when it returns.
    ///
    /// Throws ``StoreError/duplicateSKU(_:)`` when a live item has this SKU,
    /// ``StoreError/barcodeInUse(code:sku:)`` when a barcode belongs to another live item,
    /// ``StoreError/invalid(field:message:)`` for a bad value. A deleted SKU can be created
    /// again: the new create outranks the tombstone.
    public func createItem(sku: String, fields: FieldAssignments, actor: String) async throws -> ItemRecord {
        try Self.validate(sku: sku, fields: fields, requireName: true)
        return try await groupWriter.submit { db, context in
            try Self.create(sku: sku, fields: fields, actor: actor, db: db, context: &context)
        }
    }

    /// Assigns the given fields. Fields whose value does not change are not written, and an
    /// update that changes nothing writes no op (so re-sending it is free).
    ///
    /// Throws ``StoreError/unknownCode(_:)`` when no live item has this SKU, and the
    /// validation errors of ``createItem(sku:fields:actor:)``.
    public func updateItem(sku: String, fields: FieldAssignments, actor: String) async throws -> ItemRecord {
        try Self.validate(sku: sku, fields: fields, requireName: false)
        return try await groupWriter.submit { db, context in
            try Self.update(sku: sku, fields: fields, actor: actor, db: db, context: &context)
        }
    }

    /// Tombstones an item: it disappears from lookups and scans, its stock and history stay.
    /// Throws ``StoreError/unknownCode(_:)`` when no live item has this SKU.
    public func deleteItem(sku: String, actor: String) async throws {
        try await groupWriter.submit { db, context in
            guard let item = try ItemRecord.fetch(sku: sku, db: db), item.alive else {
                throw StoreError.unknownCode(sku)
            }
            _ = try OpApplier.appendLocal(.itemDelete(sku: sku), actor: actor, in: db, context: &context)
        }
    }

    static func validate(sku: String, fields: FieldAssignments, requireName: Bool) throws {
        if let problem = InputRules.identifierProblem(sku, name: "sku") {
            throw StoreError.invalid(field: "sku", message: String(problem.dropFirst("sku ".count)))
        }
        if requireName && fields[.name] == nil { throw StoreError.invalid(field: "name", message: "is required") }
        for (field, value) in fields {
            guard field != .alive else {
                throw StoreError.invalid(field: "alive", message: "is set by create and delete, not directly")
            }
            if let problem = field.problem(with: value) {
                throw StoreError.invalid(field: field.rawValue, message: problem)
            }
        }
    }

    static func create(
        sku: String, fields: FieldAssignments, actor: String, db: Database, context: inout WriteContext
    )
        throws -> ItemRecord
    {
        if let existing = try ItemRecord.fetch(sku: sku, db: db), existing.alive {
            throw StoreError.duplicateSKU(sku)
        }
        var complete = fields
        for field in ItemField.editable where complete[field] == nil { complete[field] = field.defaultValue }
        try checkBarcodesFree(complete[.barcodes], for: sku, db: db)
        try checkLookupSpace(sku: sku, barcodes: complete[.barcodes], db: db)
        _ = try OpApplier.appendLocal(.itemCreate(sku: sku, fields: complete), actor: actor, in: db, context: &context)
        return try checkApplied(complete, sku: sku, db: db)
    }

    static func update(
        sku: String, fields: FieldAssignments, actor: String, db: Database, context: inout WriteContext
    )
        throws -> ItemRecord
    {
        guard let item = try ItemRecord.fetch(sku: sku, db: db), item.alive else { throw StoreError.unknownCode(sku) }
        var changed = FieldAssignments()
        for (field, value) in fields where item.value(of: field) != value { changed[field] = value }
        guard !changed.isEmpty else { return item }
        try checkBarcodesFree(changed[.barcodes], for: sku, db: db)
        try checkLookupSpace(sku: sku, barcodes: changed[.barcodes], db: db)
        _ = try OpApplier.appendLocal(.itemUpdate(sku: sku, fields: changed), actor: actor, in: db, context: &context)
        return try checkApplied(changed, sku: sku, db: db)
    }

    /// The item after a local edit, or ``StoreError/fieldPinned(field:sku:until:)`` when a
    /// register kept its value because it was stamped ahead of this node's clock (a peer
    /// with a wrong clock, within rule V6's day): the edit is rolled back instead of
    /// answering 200 with nothing changed (finding 9 of issue #11).
    static func checkApplied(_ fields: FieldAssignments, sku: String, db: Database) throws -> ItemRecord {
        guard let item = try ItemRecord.fetch(sku: sku, db: db) else { throw StoreError.unknownCode(sku) }
        for (field, value) in fields where item.value(of: field) != value {
            let stamp = try Int64.fetchOne(
                db, sql: "SELECT hlc FROM item_registers WHERE sku = ? AND field = ?",
                arguments: [sku, Int64(field.code)])
            throw StoreError.fieldPinned(
                field: field.rawValue, sku: sku, untilMillis: stamp.map { HLC(packed: $0).millis } ?? 0)
        }
        return item
    }

    /// Keeps SKUs and barcodes one lookup space (a scan resolves a code as a barcode first,
    /// then as a SKU; finding 15 of issue #11): a new SKU may not be another live item's
    /// barcode, and a barcode may not be another live item's SKU, or one of the two items
    /// could not be scanned by that code.
    ///
    /// Throws ``StoreError/codeInUse(code:sku:)``.
    static func checkLookupSpace(sku: String, barcodes: FieldValue?, db: Database) throws {
        if let canonical = GTIN.canonical(sku),
            let owner = try String.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT b.sku FROM barcodes b JOIN items i ON i.sku = b.sku AND i.alive = 1
                        WHERE b.code = ? AND b.sku != ? LIMIT 1
                        """), arguments: [canonical, sku])
        {
            throw StoreError.codeInUse(code: sku, sku: owner)
        }
        for code in barcodes?.texts ?? [] where code != sku {
            if let owner = try String.fetchOne(
                db.cachedStatement(sql: "SELECT sku FROM items WHERE alive = 1 AND sku IN (?, ?) AND sku != ? LIMIT 1"),
                arguments: [code, GTIN.canonical(code) ?? code, sku])
            {
                throw StoreError.codeInUse(code: code, sku: owner)
            }
        }
    }

    /// Refuses a barcode that a different live item already carries: a scan must name one
    /// item.
    static func checkBarcodesFree(_ value: FieldValue?, for sku: String, db: Database) throws {
        for code in value?.texts ?? [] {
            guard let canonical = GTIN.canonical(code) else { continue }
            if let owner = try String.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT b.sku FROM barcodes b JOIN items i ON i.sku = b.sku AND i.alive = 1
                        WHERE b.code = ? AND b.sku != ? LIMIT 1
                        """), arguments: [canonical, sku])
            {
                throw StoreError.barcodeInUse(code: code, sku: owner)
            }
        }
    }
}
