import Foundation
import GRDB
public import StockroomCore

/// A catalogue item as materialised from its registers.
public struct ItemRecord: Hashable, Sendable {
    public var sku: String
    public var alive: Bool
    public var name: String
    public var description: String
    public var category: String
    public var priceCents: Int64?
    public var barcodes: [String]
    public var threshold: Int64?
    public var updatedHLC: HLC

    /// The current value of a field, in register form.
    public func value(of field: ItemField) -> FieldValue {
        switch field {
        case .alive: .int(alive ? 1 : 0)
        case .name: .text(name)
        case .description: .text(description)
        case .category: .text(category)
        case .price: priceCents.map(FieldValue.int) ?? .null
        case .barcodes: .texts(barcodes)
        case .threshold: threshold.map(FieldValue.int) ?? .null
        }
    }

    static let columns = "sku, alive, name, description, category, price_cents, barcodes, threshold, updated_hlc"

    init(row: Row) {
        sku = row[0]
        alive = (row[1] as Int64) == 1
        name = row[2]
        description = row[3]
        category = row[4]
        priceCents = row[5]
        let barcodesJSON: String = row[6]
        barcodes = (try? JSONSerialization.jsonObject(with: Data(barcodesJSON.utf8)) as? [String]) ?? []
        threshold = row[7]
        updatedHLC = HLC(packed: row[8])
    }

    static func fetch(sku: String, db: Database) throws -> ItemRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(columns) FROM items WHERE sku = ?"), arguments: [sku]
        ).map(ItemRecord.init(row:))
    }
}
