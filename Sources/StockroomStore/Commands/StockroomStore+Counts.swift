import GRDB
public import StockroomCore

/// What a stock count import did.
public struct CountImportSummary: Hashable, Sendable {
    public var counted: Int
    public var unchanged: Int
}

extension StockroomStore {
    /// Records a shelf count (rule S2) for every row: opening stock, or a stocktake done in
    /// another system. One transaction: all rows or none. A row whose cell already holds
    /// that quantity writes nothing, so importing the same file twice is harmless.
    ///
    /// Throws ``CatalogCSV/Problems`` listing every row whose SKU no live item has, and
    /// ``OpViolation`` for a location this node may not write. Durable when it returns.
    public func importCounts(_ rows: [StockCountCSV.Row], actor: String) async throws -> CountImportSummary {
        try await groupWriter.submit { db, context in
            var problems: [CatalogCSV.Problem] = []
            var summary = CountImportSummary(counted: 0, unchanged: 0)
            for row in rows {
                guard let item = try ItemRecord.fetch(sku: row.sku, db: db), item.alive else {
                    problems.append(
                        .init(line: row.line, message: "no live item has SKU '\(row.sku)'; import the catalogue first"))
                    continue
                }
                guard problems.isEmpty else { continue }
                let key = StockKey(sku: row.sku, location: row.location ?? context.nodeID.rawValue)
                let current = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT quantity FROM stock WHERE sku = ? AND location = ?"),
                    arguments: [key.sku, key.location])
                if current == row.quantity {
                    summary.unchanged += 1
                    continue
                }
                _ = try OpApplier.appendLocal(
                    .count(key, counted: row.quantity, context: context.knowledge), actor: actor, device: "import",
                    in: db, context: &context)
                summary.counted += 1
            }
            if !problems.isEmpty { throw CatalogCSV.Problems(problems) }
            return summary
        }
    }
}
