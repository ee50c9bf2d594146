import Foundation
import StockroomCore
import StockroomTesting
import Testing

@testable import StockroomStore

/// The op log keeps a catalogue op's fields as a JSON object. The encoder changed from
/// `JSONSerialization` to `JSONEncoder` (ten times faster); logs written before hold the
/// old text, so the new one must be the same text, byte for byte, and read back the same.
@Suite struct OpRowTests {
    static func oldText(_ fields: FieldAssignments) -> String {
        var object: [String: Any] = [:]
        for (field, value) in fields { object[field.rawValue] = OpRow.jsonValue(value) }
        return String(
            decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func catalogueFieldsAreWrittenAsJSONSerializationWroteThem() throws {
        var random = SeededGenerator(seed: 2026)
        let texts = [
            "", "Orange juice 1 l", #"a "quoted" name"#, "slash / and \\ back", "é ü 中文 🍊", "tab\tnew\nline",
            "\u{0001}\u{001F}", String(repeating: "x", count: 300),
        ]
        let values: [FieldValue] =
            [
                .null, .int(0), .int(-1), .int(Int64.max), .int(Int64.min), .texts([]),
                .texts(["4006381333931", "x/y"]),
            ] + texts.map { .text($0) }
        for _ in 0..<500 {
            var fields = FieldAssignments()
            for field in ItemField.allCases where Bool.random(using: &random) {
                fields[field] = values.randomElement(using: &random)!
            }
            let text = OpRow.encode(fields)
            #expect(text == Self.oldText(fields), "\(fields)")
            #expect(try OpRow.decodeAssignments(text, at: "test") == fields)
            if case .texts(let texts)? = fields[.barcodes] {
                let column = OpApplier.columnValue(.texts(texts)) as? String
                let old = String(decoding: try JSONSerialization.data(withJSONObject: texts), as: UTF8.self)
                #expect(column == old, "the items.barcodes column's text")
            }
        }
    }
}
