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

    /// Throws ``StoreError/corrupt(_:)`` for a column of the wrong type; never traps.
    init(row: Row) throws {
        sku = try row.checked(0, "an item's sku")
        let where_ = "item '\(sku.prefix(64))'"
        alive = try (row.checked(1, "\(where_) alive") as Int64) == 1
        name = try row.checked(2, "\(where_) name")
        description = try row.checked(3, "\(where_) description")
        category = try row.checked(4, "\(where_) category")
        priceCents = try row.checkedOptional(5, "\(where_) price_cents")
        let barcodesJSON: String = try row.checked(6, "\(where_) barcodes")
        barcodes = (try? JSONSerialization.jsonObject(with: Data(barcodesJSON.utf8)) as? [String]) ?? []
        threshold = try row.checkedOptional(7, "\(where_) threshold")
        updatedHLC = HLC(packed: try row.checked(8, "\(where_) updated_hlc"))
    }

    static func fetch(sku: String, db: Database) throws -> ItemRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(columns) FROM items WHERE sku = ?"), arguments: [sku]
        ).map { try ItemRecord(row: $0) }
    }
}
