import Foundation
import GRDB
import StockroomCore
import Testing

@testable import StockroomStore

@Suite struct StockroomStoreCatalogueTests {
    @Test func createUpdateDeleteAndCreateAgain() async throws {
        let store = try TestStores.make()
        let created = try await store.createItem(
            sku: "X", fields: FieldAssignments([.name: .text("Thing"), .price: .int(199)]), actor: "t")
        #expect(created.alive && created.name == "Thing" && created.priceCents == 199 && created.description == "")
        let updated = try await store.updateItem(
            sku: "X", fields: FieldAssignments([.price: .null, .threshold: .int(4)]), actor: "t")
        #expect(updated.priceCents == nil && updated.threshold == 4 && updated.name == "Thing")
        let opsBefore = try await store.statistics().ops
        _ = try await store.updateItem(sku: "X", fields: FieldAssignments([.threshold: .int(4)]), actor: "t")
        #expect(try await store.statistics().ops == opsBefore, "an update that changes nothing wrote an op")
        try await store.deleteItem(sku: "X", actor: "t")
        await #expect(throws: StoreError.unknownCode("X")) { try await store.item(code: "X") }
        #expect(try await store.item(code: "X", includeDeleted: true).alive == false)
        await #expect(throws: StoreError.unknownCode("X")) { try await store.deleteItem(sku: "X", actor: "t") }
        let again = try await store.createItem(sku: "X", fields: FieldAssignments([.name: .text("Back")]), actor: "t")
        #expect(again.alive && again.name == "Back" && again.threshold == nil)
    }

    @Test func duplicateSKUsAndStolenBarcodesAreRefused() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        await #expect(throws: StoreError.duplicateSKU("A-1")) {
            try await store.createItem(sku: "A-1", fields: FieldAssignments([.name: .text("again")]), actor: "t")
        }
        await #expect(throws: StoreError.barcodeInUse(code: "0036000291452", sku: "B-2")) {
            try await store.createItem(
                sku: "D-4", fields: FieldAssignments([.name: .text("d"), .barcodes: .texts(["0036000291452"])]),
                actor: "t")
        }
        await #expect(throws: StoreError.barcodeInUse(code: "4006381333931", sku: "A-1")) {
            try await store.updateItem(
                sku: "C-3", fields: FieldAssignments([.barcodes: .texts(["4006381333931"])]), actor: "t")
        }
    }

    @Test func invalidFieldsAreRefused() async throws {
        let store = try TestStores.make()
        for (sku, fields) in [
            ("", FieldAssignments([.name: .text("x")])),
            ("OK", FieldAssignments([.name: .text("")])),
            ("OK", FieldAssignments([.name: .text("x"), .price: .int(-1)])),
            ("OK", FieldAssignments([.name: .text("x"), .barcodes: .texts(["4006381333932"])])),
            ("OK", FieldAssignments([.name: .text("x"), .alive: .int(0)])),
            ("OK", FieldAssignments([.description: .text("no name")])),
        ] {
            await #expect(throws: StoreError.self, "accepted \(sku) \(fields)") {
                try await store.createItem(sku: sku, fields: fields, actor: "t")
            }
        }
        #expect(try await store.statistics().ops == 0)
    }

    @Test func importingTheSameFileTwiceChangesNothingTheSecondTime() async throws {
        let store = try TestStores.make()
        let csv = "sku,name,price,barcode\nA,Apple,1.00,4006381333931\nB,Bread,2.50,\n"
        let rows = try CatalogCSV.parse(csv).get()
        #expect(try await store.importItems(rows, actor: "t") == ImportSummary(created: 2, updated: 0, unchanged: 0))
        #expect(try await store.importItems(rows, actor: "t") == ImportSummary(created: 0, updated: 0, unchanged: 2))
        let changed = try CatalogCSV.parse("sku,name,price\nA,Apple,1.10\n").get()
        #expect(try await store.importItems(changed, actor: "t") == ImportSummary(created: 0, updated: 1, unchanged: 0))
        #expect(try await store.item(code: "A").priceCents == 110)
        #expect(try await store.item(code: "A").barcodes == ["4006381333931"])
    }

    @Test func anImportThatWouldStealABarcodeIsRefusedWhole() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        let rows = try CatalogCSV.parse(
            "sku,name,barcode\nNEW-1,New,\nNEW-2,Thief,4006381333931\nNEW-3,Thief,036000291452\n036000291452,Clash,\n"
        ).get()
        // Finding 17 of issue #11: every conflict with the catalogue, each with its line.
        let problems = await #expect(throws: CatalogCSV.Problems.self) { try await store.importItems(rows, actor: "t") }
        #expect(problems?.all.map(\.line) == [3, 4, 5], "\(String(describing: problems))")
        #expect(problems?.all.first?.message.contains("A-1") == true)
        await #expect(throws: StoreError.unknownCode("NEW-1")) { try await store.item(code: "NEW-1") }
    }
}
