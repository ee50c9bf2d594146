import GRDB
public import StockroomCore

/// What an import did.
public struct ImportSummary: Hashable, Sendable {
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var total: Int { created + updated + unchanged }
}

extension StockroomStore {
    /// Creates or updates every row: a new SKU is created, a live one gets the fields that
    /// differ, an identical one is left alone (so importing the same file twice writes
    /// nothing the second time).
    ///
    /// All or nothing: every row is checked against the catalogue first (barcodes that
    /// another item carries, SKUs that are another item's barcode), and every conflict is
    /// reported with its line in one ``CatalogCSV/Problems``; then all rows are written in
    /// one transaction, so a crash or a kill mid-import leaves the catalogue as it was
    /// (finding 26 of issue #11: chunks had left a partial catalogue). A daemon writing at
    /// the same time waits for the transaction (busy timeout), it does not fail.
    public func importItems(_ rows: [CatalogCSV.Row], actor: String) async throws -> ImportSummary {
        try await groupWriter.submit { db, context in
            var problems: [CatalogCSV.Problem] = []
            for row in rows {
                do {
                    try Self.checkBarcodesFree(row.fields[.barcodes], for: row.sku, db: db)
                    try Self.checkLookupSpace(sku: row.sku, barcodes: row.fields[.barcodes], db: db)
                } catch let error as StoreError {
                    problems.append(CatalogCSV.Problem(line: row.line, message: error.description))
                }
            }
            guard problems.isEmpty else { throw CatalogCSV.Problems(problems) }
            var summary = ImportSummary()
            for row in rows {
                if let item = try ItemRecord.fetch(sku: row.sku, db: db), item.alive {
                    let after = try Self.update(
                        sku: row.sku, fields: row.fields, actor: actor, db: db, context: &context)
                    if after == item { summary.unchanged += 1 } else { summary.updated += 1 }
                } else {
                    _ = try Self.create(sku: row.sku, fields: row.fields, actor: actor, db: db, context: &context)
                    summary.created += 1
                }
            }
            return summary
        }
    }
}
