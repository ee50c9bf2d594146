import Foundation
import StockroomCore
import StockroomStore
import Testing

/// The dashboard's inventory list against a real database: the search's two paths (text
/// alone by SKU, and text with filters) agree, deleted items never show, a barcode finds
/// its item, paging keeps the total, and the hub's chain view sums every location.
@Suite struct DashboardQueryTests {
    static func store() async throws -> StockroomStore {
        let store = try TestStores.make(node: "hub")
        for index in 1...30 {
            let sku = String(format: "TEA-%03d", index)
            _ = try await store.createItem(
                sku: sku,
                fields: FieldAssignments([
                    .name: .text(index % 2 == 0 ? "Green tea \(index)" : "Black tea \(index)"),
                    .category: .text(index % 3 == 0 ? "Hot" : "Cold"),
                ]),
                actor: "test")
        }
        _ = try await store.createItem(
            sku: "JAM-1", fields: FieldAssignments([.name: .text("Jam"), .barcodes: .texts(["4006381333931"])]),
            actor: "test")
        try await store.deleteItem(sku: "TEA-007", actor: "test")
        return store
    }

    static func list(
        _ store: StockroomStore, _ text: String?, category: String? = nil, sort: StockSort = .sku,
        descending: Bool = false, offset: Int = 0, limit: Int = 10, chain: Bool = false,
        filter: StockFilter = .all
    ) async throws -> StockListing {
        var query = StockQuery(location: "hub")
        query.text = text
        query.category = category
        query.limit = limit
        query.everyLocation = chain
        return try await store.stockListing(query, filter: filter, sort: sort, descending: descending, offset: offset)
    }

    @Test func theFastSearchAndTheFilteredOneFindTheSameItems() async throws {
        let store = try await Self.store()
        // Text alone, by SKU: the item_keys path. 29 live teas; TEA-007 was deleted.
        let fast = try await Self.list(store, "tea", limit: 100)
        #expect(fast.total == 29 && fast.levels.count == 29)
        #expect(!fast.levels.contains { $0.sku == "TEA-007" })
        #expect(fast.levels.map(\.sku) == fast.levels.map(\.sku).sorted())
        // The same search by name (the general path) finds the same set.
        let general = try await Self.list(store, "tea", sort: .name, limit: 100)
        #expect(Set(general.levels.map(\.sku)) == Set(fast.levels.map(\.sku)) && general.total == 29)
        // Pages keep the total; descending reverses; a page past the end is empty, total kept.
        let second = try await Self.list(store, "tea", offset: 10)
        #expect(second.total == 29 && second.levels.first?.sku == fast.levels[10].sku)
        let reversed = try await Self.list(store, "tea", descending: true, limit: 3)
        #expect(reversed.levels.map(\.sku) == ["TEA-030", "TEA-029", "TEA-028"])
        let beyond = try await Self.list(store, "tea", offset: 100)
        #expect(beyond.levels.isEmpty && beyond.total == 29)
        // A barcode, exactly; a name in the middle; a category narrows (the general path).
        let byBarcode = try await Self.list(store, "4006381333931")
        #expect(byBarcode.levels.map(\.sku) == ["JAM-1"], "\(byBarcode.levels.map(\.sku)) \(byBarcode.total)")
        let byBarcodeGeneral = try await Self.list(store, "4006381333931", sort: .name)
        #expect(byBarcodeGeneral.levels.map(\.sku) == ["JAM-1"], "\(byBarcodeGeneral.levels.map(\.sku))")
        #expect(try await Self.list(store, "green", limit: 100).total == 15)
        #expect(try await Self.list(store, "tea", category: "Hot", limit: 100).total == 10)
        // Two characters: SKU prefix.
        #expect(try await Self.list(store, "JA").levels.map(\.sku) == ["JAM-1"])
    }

    @Test func theChainViewSumsEveryLocationAndRefusesStockFilters() async throws {
        let store = try await Self.store()
        _ = try await store.recordScan(
            ScanCommand(scanID: "r1", code: "TEA-001", quantity: 5, action: .move(.receive), location: "store-1"),
            actor: "t")
        _ = try await store.recordScan(
            ScanCommand(scanID: "r2", code: "TEA-001", quantity: 7, action: .move(.receive), location: "store-2"),
            actor: "t")
        let chain = try await Self.list(store, "TEA-001", chain: true)
        #expect(chain.levels.first?.sku == "TEA-001" && chain.levels.first?.states.onHand == 12)
        #expect(chain.levels.first?.location == "*")
        await #expect(throws: StoreError.self) { try await Self.list(store, nil, chain: true, filter: .low) }
        await #expect(throws: StoreError.self) { try await Self.list(store, nil, sort: .onHand, chain: true) }
        let summary = try await store.inventorySummary(location: nil)
        #expect(summary.skus == 30 && summary.out == 0)
        #expect(try await store.onHandByItem(location: nil)["TEA-001"] == 12)
        #expect(try await store.onHandByItem(location: "store-2")["TEA-001"] == 7)
    }
}
