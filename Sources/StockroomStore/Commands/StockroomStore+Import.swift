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
    /// Barcodes are checked against the catalogue before anything is written, so a file
    /// that would steal another item's barcode is refused whole. Rows are written in
    /// chunks of `chunkSize` per transaction, so a million-row import does not hold one
    /// giant transaction; a crash mid-import keeps the chunks already committed, and
    /// running the import again finishes the job.
    public func importItems(
        _ rows: [CatalogCSV.Row], actor: String, chunkSize: Int = 1000
    ) async throws
        -> ImportSummary
    {
        try await read { db in
            for row in rows {
                try Self.checkBarcodesFree(row.fields[.barcodes], for: row.sku, db: db)
            }
        }
        var summary = ImportSummary()
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(start + chunkSize, rows.count)])
            let part = try await groupWriter.submit { db, context in
                var part = ImportSummary()
                for row in chunk {
                    if let item = try ItemRecord.fetch(sku: row.sku, db: db), item.alive {
                        let after = try Self.update(
                            sku: row.sku, fields: row.fields, actor: actor, db: db, context: &context)
                        if after == item { part.unchanged += 1 } else { part.updated += 1 }
                    } else {
                        _ = try Self.create(sku: row.sku, fields: row.fields, actor: actor, db: db, context: &context)
                        part.created += 1
                    }
                }
                return part
            }
            summary.created += part.created
            summary.updated += part.updated
            summary.unchanged += part.unchanged
            start += chunkSize
        }
        return summary
    }
}
