import Foundation
import StockroomCore
import Testing

@Suite struct ForecastTests {
    struct Parity: Decodable {
        struct Case: Decodable {
            var y: [Double]
            var forecast: [String: Double]
        }
        var statsforecast: String
        var cases: [Case]
    }

    static func parity() throws -> Parity {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("fixtures/forecast/statsforecast-parity.json"))
        return try JSONDecoder().decode(Parity.self, from: data)
    }

    /// Every classic method equals statsforecast 2.1.1's on every vector to 1e-9 (relative
    /// to the size of the forecast, absolute below 1).
    @Test func classicMethodsMatchStatsforecast() throws {
        let parity = try Self.parity()
        #expect(parity.statsforecast == "2.1.1")
        #expect(parity.cases.count >= 40)
        let methods: [String: ([Double]) -> Double] = [
            "croston": DemandMethods.croston,
            "croston_optimized": DemandMethods.crostonOptimised,
            "sba": DemandMethods.sba,
            "tsb_0.1_0.1": { DemandMethods.tsb($0, alphaDemand: 0.1, alphaProbability: 0.1) },
            "tsb_0.3_0.2": { DemandMethods.tsb($0, alphaDemand: 0.3, alphaProbability: 0.2) },
            "adida": DemandMethods.adida,
            "imapa": DemandMethods.imapa,
            "ses_0.1": { DemandMethods.ses($0, alpha: 0.1) },
            "ses_0.5": { DemandMethods.ses($0, alpha: 0.5) },
            "historic_average": DemandMethods.historicAverage,
        ]
        var checked = 0
        for (index, vector) in parity.cases.enumerated() {
            for (name, expected) in vector.forecast.sorted(by: { $0.key < $1.key }) {
                let method = try #require(methods[name], "no method for \(name)")
                let got = method(vector.y)
                #expect(
                    abs(got - expected) <= 1e-9 * max(1, abs(expected)),
                    "case \(index) \(name): \(got) vs statsforecast \(expected) for \(vector.y.prefix(12))")
                checked += 1
            }
        }
        #expect(checked == parity.cases.count * methods.count)
    }

    @Test func goldenSectionStaysInItsBoundsAndFindsTheMinimum() {
        let series: [Double] = [3, 0, 4, 8, 1, 0, 0, 5, 6, 2, 9, 3]
        let alpha = Smoothing.optimalAlpha(series[...])
        #expect((0.1...0.3).contains(alpha))
        for probe in stride(from: 0.1, through: 0.3, by: 0.01) {
            #expect(Smoothing.sse(series[...], alpha: alpha) <= Smoothing.sse(series[...], alpha: probe) + 1e-9)
        }
    }

    @Test func theForecasterPicksByHoldoutAndAppliesTheWeekdayProfile() {
        // Demand of 10 on weekdays 0-4 and 30 on weekdays 5-6, for eight weeks.
        let history = (0..<56).map { $0 % 7 >= 5 ? 30.0 : 10.0 }
        let forecast = DemandForecaster().forecast(history, horizon: 7, firstSeason: 0)
        #expect(forecast.periods.count == 7)
        // Saturday's forecast is well above Monday's: the profile was applied.
        #expect(forecast.periods[5] > 2 * forecast.periods[0])
        #expect(abs(forecast.periods.reduce(0, +) - 110) < 15, "\(forecast.periods)")
        // A series with no demand forecasts zero; a horizon of zero forecasts nothing.
        #expect(DemandForecaster().forecast(Array(repeating: 0, count: 28), horizon: 3).periods == [0, 0, 0])
        #expect(DemandForecaster().forecast([1, 2], horizon: 0).periods.isEmpty)
    }

    @Test func theForecastIsDeterministic() {
        var generator = SplitMix64(seed: 7)
        let history = (0..<28).map { _ in Double(generator.next() % 4 == 0 ? generator.next() % 5 : 0) }
        let first = DemandForecaster().forecast(history, horizon: 14, firstSeason: 3)
        let second = DemandForecaster().forecast(history, horizon: 14, firstSeason: 3)
        #expect(first == second)
    }
}
