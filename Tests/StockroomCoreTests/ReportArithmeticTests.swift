import Foundation
import StockroomCore
import Testing

/// The report arithmetic against vectors computed by an independent Python script
/// (fixtures/reports/make_vectors.py).
@Suite struct ReportArithmeticTests {
    struct Vectors: Decodable {
        struct ABCCase: Decodable {
            struct Entry: Decodable {
                var key: String
                var cents: Int64
                var `class`: String
            }
            var revenue: [[JSONScalar]]
            var expected: [Entry]
        }
        struct TurnoverCase: Decodable {
            var sold, opening, closing: Int64
            var days: Int
            var turnover: Double?
            var days_of_inventory: Double?
        }
        struct SellCase: Decodable {
            var sold, opening, received: Int64
            var sell_through: Double?
        }
        struct ValueCase: Decodable {
            var on_hand, units, cents: Int64
            var average, value: Int64?
        }
        var abc: [ABCCase]
        var turnover: [TurnoverCase]
        var sell_through: [SellCase]
        var valuation: [ValueCase]
    }

    enum JSONScalar: Decodable {
        case text(String), number(Int64)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }
    }

    static func vectors() throws -> Vectors {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try JSONDecoder().decode(
            Vectors.self, from: Data(contentsOf: root.appendingPathComponent("fixtures/reports/vectors.json")))
    }

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): abs(a - b) <= 1e-9 * max(1, abs(b))
        default: false
        }
    }

    @Test func abcClassesMatchTheVectors() throws {
        for (index, vector) in try Self.vectors().abc.enumerated() {
            let revenue = vector.revenue.map { pair -> (key: String, cents: Int64) in
                guard case .text(let key) = pair[0], case .number(let cents) = pair[1] else { return ("", 0) }
                return (key, cents)
            }
            let got = ReportArithmetic.abc(revenue)
            #expect(got.map(\.key) == vector.expected.map(\.key), "case \(index) order")
            #expect(got.map(\.abcClass.rawValue) == vector.expected.map(\.class), "case \(index) classes")
        }
    }

    @Test func turnoverSellThroughAndValuationMatchTheVectors() throws {
        let vectors = try Self.vectors()
        for vector in vectors.turnover {
            let got = ReportArithmetic.turnover(
                sold: vector.sold, opening: vector.opening, closing: vector.closing, days: vector.days)
            #expect(Self.close(got.turnover, vector.turnover), "\(vector)")
            #expect(Self.close(got.daysOfInventory, vector.days_of_inventory), "\(vector)")
        }
        for vector in vectors.sell_through {
            let got = ReportArithmetic.sellThrough(
                sold: vector.sold, opening: vector.opening, received: vector.received)
            #expect(Self.close(got, vector.sell_through), "\(vector)")
        }
        for vector in vectors.valuation {
            let got = ReportArithmetic.valuation(
                onHand: vector.on_hand, costedUnits: vector.units, costCents: vector.cents)
            #expect(got.averageCents == vector.average && got.valueCents == vector.value, "\(vector)")
        }
    }

    @Test func isoTimesAndMoneyParseAsDocumented() {
        #expect(ISODate.millis("2025-03-01") == 1_740_830_400_000)  // 12:00 UTC
        #expect(ISODate.millis("2025-03-01T14:05:00Z") == 1_740_837_900_000)
        #expect(ISODate.millis("2025-03-01 14:05") == 1_740_837_900_000)
        #expect(ISODate.millis("2025-03-01T16:05:00+02:00") == 1_740_837_900_000)
        #expect(ISODate.millis("2025-03-01T14:05:00.25Z") == 1_740_837_900_250)
        // Microseconds and nanoseconds (Postgres, Go and Python exports) are truncated to ms;
        // this once trapped the whole daemon (schemathesis seed 2902).
        #expect(ISODate.millis("2025-03-01T14:05:00.250999Z") == 1_740_837_900_250)
        #expect(ISODate.millis("2025-03-01T14:05:00.123456789+00:00") == 1_740_837_900_123)
        #expect(ISODate.millis("0265-08-19T19:06:22.021086Z") == nil)  // before 1970
        for bad in ["2025-02-30", "2025-3-1", "2025-03-01T25:00", "2025-03-01T14:05:00Q", "yesterday", ""] {
            #expect(ISODate.millis(bad) == nil, "\(bad)")
        }
        #expect(ISODate.text(1_740_837_900_250) == "2025-03-01T14:05:00.250Z")
        #expect(Money.cents("4.99") == 499 && Money.cents("4.9") == 490 && Money.cents("4") == 400)
        #expect(Money.cents("4.999") == nil && Money.cents("-1") == nil && Money.cents("") == nil)
        #expect(Money.text(1234) == "12.34" && Money.text(5) == "0.05")
    }
}
