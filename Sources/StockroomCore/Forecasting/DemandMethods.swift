/// The classic demand forecasting methods, each a flat forecast per period, with
/// statsforecast 2.1.1's definitions and defaults (vectors in sync-protocol/vectors/forecast
/// were made by it and are matched to 1e-9):
///
/// | method | statsforecast | definition |
/// |---|---|---|
/// | ``croston(_:)`` | CrostonClassic | SES (alpha 0.1) of the non-zero sizes over SES (0.1) of the intervals |
/// | ``crostonOptimised(_:)`` | CrostonOptimized | the same with each alpha by golden section in [0.1, 0.3] |
/// | ``sba(_:)`` | CrostonSBA | Croston times 0.95 (Syntetos-Boylan bias correction) |
/// | ``tsb(_:alphaDemand:alphaProbability:)`` | TSB | SES of the sizes times SES of the occurrence (alphas fixed) |
/// | ``adida(_:)`` | ADIDA | optimised SES of sums over blocks of the mean interval, per period |
/// | ``imapa(_:)`` | IMAPA | mean of ADIDA over every block size 1...mean interval |
/// | ``ses(_:alpha:)`` | SimpleExponentialSmoothing | level starting at the first value |
/// | ``historicAverage(_:)`` | HistoricAverage | the mean |
///
/// Every function takes a non-empty series of non-negative demand, oldest first.
public enum DemandMethods {
    public static func ses(_ y: [Double], alpha: Double) -> Double { Smoothing.ses(y, alpha: alpha) }

    public static func historicAverage(_ y: [Double]) -> Double { y.reduce(0, +) / Double(y.count) }

    public static func croston(_ y: [Double]) -> Double {
        crostonParts(y) { Smoothing.ses($0, alpha: 0.1) }
    }

    public static func crostonOptimised(_ y: [Double]) -> Double {
        crostonParts(y) { Smoothing.optimisedSES($0) }
    }

    public static func sba(_ y: [Double]) -> Double { croston(y) * 0.95 }

    public static func tsb(_ y: [Double], alphaDemand: Double, alphaProbability: Double) -> Double {
        let sizes = y.filter { $0 > 0 }
        guard !sizes.isEmpty else { return 0 }
        let occurrence = y.map { $0 != 0 ? 1.0 : 0.0 }
        return Smoothing.ses(occurrence, alpha: alphaProbability) * Smoothing.ses(sizes, alpha: alphaDemand)
    }

    public static func adida(_ y: [Double]) -> Double {
        guard y.contains(where: { $0 != 0 }) else { return 0 }
        let level = meanIntervalRounded(y)
        return chunkForecast(y, level: level) / Double(level)
    }

    public static func imapa(_ y: [Double]) -> Double {
        guard y.contains(where: { $0 != 0 }) else { return 0 }
        let maximum = meanIntervalRounded(y)
        var sum = 0.0
        for level in 1...maximum {
            let sums = chunkSums(y, level: level)
            sum += (sums.isEmpty ? 0 : Smoothing.optimisedSES(sums[...])) / Double(level)
        }
        return sum / Double(maximum)
    }

    /// The mean with every value capped at the 90th percentile (linear interpolation, as
    /// numpy's default) of the non-zero values: robust to promotion spikes, and still 0 for
    /// the zeros of an intermittent series.
    public static func winsorisedMean(_ y: [Double]) -> Double {
        let sizes = y.filter { $0 > 0 }.sorted()
        guard !sizes.isEmpty else { return 0 }
        let position = 0.9 * Double(sizes.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sizes.count - 1)
        let cap = sizes[low] + (sizes[high] - sizes[low]) * (position - Double(low))
        return y.reduce(0) { $0 + min($1, cap) } / Double(y.count)
    }

    // MARK: Parts

    /// Croston's decomposition: `smooth(sizes) / smooth(intervals)`; the last value (naive)
    /// for a series with no demand, as statsforecast does.
    private static func crostonParts(_ y: [Double], smooth: (ArraySlice<Double>) -> Double) -> Double {
        let sizes = y.filter { $0 > 0 }
        guard !sizes.isEmpty else { return y[y.count - 1] }
        let sizeForecast = smooth(sizes[...])
        let intervalForecast = smooth(intervals(y)[...])
        return intervalForecast != 0 ? sizeForecast / intervalForecast : sizeForecast
    }

    /// Periods between non-zero values, the first counted from before the series.
    static func intervals(_ y: [Double]) -> [Double] {
        var result: [Double] = []
        var previous = 0
        for (index, value) in y.enumerated() where value != 0 {
            result.append(Double(index + 1 - previous))
            previous = index + 1
        }
        return result
    }

    /// The mean interval rounded half to even (numpy's `round`), at least 1.
    static func meanIntervalRounded(_ y: [Double]) -> Int {
        let gaps = intervals(y)
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        return max(1, Int(mean.rounded(.toNearestOrEven)))
    }

    /// Sums of whole blocks of `level` periods, the incomplete block dropped at the start.
    static func chunkSums(_ y: [Double], level: Int) -> [Double] {
        let lost = y.count % level
        var sums: [Double] = []
        sums.reserveCapacity(y.count / level)
        var index = lost
        while index + level <= y.count {
            var sum = 0.0
            for offset in 0..<level { sum += y[index + offset] }
            sums.append(sum)
            index += level
        }
        return sums
    }

    /// statsforecast's `chunk_forecast`: optimised SES over the block sums; the last value
    /// when no whole block fits, the block's sum when one does.
    static func chunkForecast(_ y: [Double], level: Int) -> Double {
        let sums = chunkSums(y, level: level)
        guard !sums.isEmpty else { return y[y.count - 1] }
        guard sums.count > 1 else { return sums[0] }
        return Smoothing.optimisedSES(sums[...])
    }
}
