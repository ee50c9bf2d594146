import Foundation
import Testing

@testable import StockroomCore

@Suite struct ScanActionTests {
    @Test func theReasonGivesTheSign() throws {
        #expect(try ScanAction.move(.sale).signedQuantity(3).get() == -3)
        #expect(try ScanAction.move(.damage).signedQuantity(1).get() == -1)
        #expect(try ScanAction.move(.receive).signedQuantity(3).get() == 3)
        #expect(try ScanAction.move(.return).signedQuantity(2).get() == 2)
        #expect(try ScanAction.move(.adjust).signedQuantity(-4).get() == -4)
        #expect(try ScanAction.count.signedQuantity(0).get() == 0)
    }

    @Test(arguments: [
        (ScanAction.move(.sale), Int64(0)), (.move(.sale), -1), (.move(.receive), 1_000_001), (.move(.adjust), 0),
        (.count, -1), (.count, 1_000_001), (.move(.adjust), -1_000_001),
    ])
    func unacceptableQuantities(action: ScanAction, quantity: Int64) {
        guard case .failure = action.signedQuantity(quantity) else {
            Issue.record("accepted \(quantity) for \(action)")
            return
        }
    }

    @Test func reasonsParse() {
        #expect(ScanAction(reason: "count") == .count)
        #expect(ScanAction(reason: "return") == .move(.return))
        #expect(ScanAction(reason: "steal") == nil)
    }
}

@Suite struct InputRulesTests {
    @Test func prices() {
        #expect(InputRules.parsePriceCents("12.99") == 1299)
        #expect(InputRules.parsePriceCents("12.9") == 1290)
        #expect(InputRules.parsePriceCents("12") == 1200)
        for bad in ["", "12.999", "-1", "1,5", "abc", ".5", "1."] {
            #expect(InputRules.parsePriceCents(bad) == nil, "accepted \(bad)")
        }
        #expect(InputRules.formatPrice(cents: 1205) == "12.05")
    }

    @Test func identifiers() {
        #expect(InputRules.isIdentifier("SKU-1"))
        #expect(!InputRules.isIdentifier(""))
        #expect(!InputRules.isIdentifier(" x"))
        #expect(!InputRules.isIdentifier("a\nb"))
        #expect(!InputRules.isIdentifier("é"))
        #expect(!InputRules.isIdentifier(String(repeating: "x", count: 65)))
    }
}

@Suite struct CatalogCSVTests {
    @Test func quotedFieldsCommasAndNewlines() throws {
        let rows = try CSVReader().rows("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",z\n\n")
        #expect(rows.count == 3)
        #expect(rows[1].fields == ["x, y", "say \"hi\""])
        #expect(rows[2].fields == ["multi\nline", "z"])
    }

    @Test func anUnclosedQuoteIsAnError() {
        #expect(throws: CSVReader.ParseError.self) { try CSVReader().rows("a\n\"open") }
    }

    @Test func aGoodFileParses() throws {
        let csv = """
            SKU,Name,price,barcode,threshold,category
            A-1,Apple,2.49,4006381333931,5,Fruit
            B-2,"Bread, rye",3,,,
            """
        let rows = try CatalogCSV.parse(csv).get()
        #expect(rows.count == 2)
        #expect(rows[0].fields[.price] == .int(249))
        #expect(rows[0].fields[.barcodes] == .texts(["4006381333931"]))
        #expect(rows[1].fields[.threshold] == .null)
    }

    @Test func everyProblemIsReportedWithItsLine() {
        let csv = """
            sku,name,price,barcode,colour
            A-1,Apple,2.499,4006381333932,red
            A-1,Again,1,,
            ,Nameless,1,,
            """
        guard case .failure(let problems) = CatalogCSV.parse(csv) else {
            Issue.record("a bad file parsed")
            return
        }
        let text = problems.description
        #expect(text.contains("unknown column 'colour'"))
        #expect(text.contains("line 2: price"))
        #expect(text.contains("line 2: barcodes barcode '4006381333932' has a wrong check digit"))
        #expect(text.contains("line 3: sku 'A-1' already appears on line 2"))
        #expect(text.contains("line 4: sku ''"))
    }

    @Test func theFixtureCatalogueIsValid() throws {
        let url = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let text = try String(contentsOfFile: "/" + url + "/fixtures/catalog-10k.csv", encoding: .utf8)
        let rows = try CatalogCSV.parse(text).get()
        #expect(rows.count == 10_000)
        #expect(rows.allSatisfy { ($0.fields[.barcodes]?.texts ?? []).allSatisfy(GTIN.isValid) })
    }
}
