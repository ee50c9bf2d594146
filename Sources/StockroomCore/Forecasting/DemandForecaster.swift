/// Chooses and fits a demand model per series (issue #14): every candidate method is fitted
/// on the series without its last `holdout` periods and scored on them; the best by mean
/// squared error is refitted on the whole series. Daily series are deseasonalised by a
/// weekday profile first (their own when they have enough demand, else a pooled one, e.g.
/// the location's), and the profile is put back on the forecast.
///
/// Pure and deterministic: the same history gives the same forecast on every node.
public struct DemandForecaster: Sendable {
    /// The methods tried, in the order ties are broken.
    public enum Method: String, CaseIterable, Sendable, Codable {
        case ses, croston, sba, tsb, adida, imapa, ets, historicAverage = "historic_average"
        /// The mean with each value capped at the 90th percentile of the non-zero values:
        /// a level that promotions and one-off bulk buys do not inflate.
        case robust
        /// The mean of SBA and ``robust``: the default, which another method must beat by
        /// 10% on the holdout to be chosen instead.
        case combined
        case zero

        /// The methods tried by default (zero is what an empty history gets).
        public static let candidates: [Method] = [
            .combined, .ses, .croston, .sba, .tsb, .adida, .imapa, .ets, .historicAverage, .robust,
        ]
    }

    /// How much better than ``Method/combined`` on the holdout another method must be to
    /// be chosen: a holdout of two weeks is noisy, and a combination rarely does badly.
    public static let switchMargin = 0.9

    public struct Forecast: Hashable, Sendable {
        public var method: Method
        /// Expected demand per period, before the weekday profile.
        public var level: Double
        /// The forecast for each period of the horizon, profile applied.
        public var periods: [Double]
        /// The standard deviation of one period's error, from the holdout (for safety stock).
        public var sigma: Double
        /// The weekday profile applied (7 factors with mean 1), or nil.
        public var profile: [Double]?
    }

    /// Candidates; defaults to every method.
    public var methods: [Method]
    /// Periods held out to choose the method (at most a third of the series).
    public var holdout: Int
    /// Whether the series is daily (a weekday profile applies).
    public var seasonLength: Int?
    /// Units of demand a series needs to use its own profile rather than the pooled one.
    public var ownProfileMinimum: Double

    public init(
        methods: [Method] = Method.candidates, holdout: Int = 14, seasonLength: Int? = 7, ownProfileMinimum: Double = 56
    ) {
        self.methods = methods
        self.holdout = holdout
        self.seasonLength = seasonLength
        self.ownProfileMinimum = ownProfileMinimum
    }

    /// The forecast of `history` (oldest first, non-negative) for `horizon` periods.
    ///
    /// - Parameters:
    ///   - firstSeason: the season index (weekday 0-6) of `history[0]`, for daily series.
    ///   - pooled: a profile to use when the series has too little demand for its own.
    public func forecast(
        _ history: [Double], horizon: Int, firstSeason: Int = 0, pooled: [Double]? = nil
    ) -> Forecast {
        guard !history.isEmpty, horizon > 0 else {
            return Forecast(method: .zero, level: 0, periods: Array(repeating: 0, count: max(0, horizon)), sigma: 0)
        }
        var profile: [Double]?
        if let season = seasonLength, season > 1, history.count >= 2 * season {
            let total = history.reduce(0, +)
            let own = total >= ownProfileMinimum ? Self.profile(history, season: season, first: firstSeason) : nil
            switch (own, pooled) {
            case (let own?, let pooled?) where pooled.count == season:
                // Shrink the cell's own pattern towards its location's: a weekday seen a
                // few dozen times is mostly noise.
                let weight = total / (total + Self.poolingUnits)
                profile = (0..<season).map { weight * own[$0] + (1 - weight) * pooled[$0] }
            case (let own?, _): profile = own
            case (nil, let pooled): profile = pooled
            }
        }
        let adjusted: [Double]
        if let profile, let season = seasonLength {
            adjusted = history.enumerated().map { index, value in
                value / profile[(firstSeason + index) % season]
            }
        } else {
            adjusted = history
        }
        let held = min(holdout, adjusted.count / 3)
        var best: (method: Method, error: Double) = (methods.first ?? .historicAverage, .infinity)
        var sigma = 0.0
        if held > 0 {
            let train = Array(adjusted.dropLast(held))
            for method in methods {
                let level = Self.level(method, train)
                var squares = 0.0
                for offset in 0..<held {
                    let index = train.count + offset
                    let factor = profile.map { $0[(firstSeason + index) % $0.count] } ?? 1
                    let error = history[index] - level * factor
                    squares += error * error
                }
                let handicap = method == .combined || best.method != .combined ? 1 : Self.switchMargin
                if squares < best.error * handicap - 1e-12 {
                    best = (method, squares)
                }
            }
            sigma = (best.error / Double(held)).squareRoot()
        } else {
            best.method = methods.contains(.combined) ? .combined : .historicAverage
        }
        let level = Self.level(best.method, adjusted)
        if held == 0 {
            let mean = level
            sigma = (history.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(history.count)).squareRoot()
        }
        let periods = (0..<horizon).map { offset -> Double in
            let factor = profile.map { $0[(firstSeason + history.count + offset) % $0.count] } ?? 1
            return level * factor
        }
        return Forecast(method: best.method, level: level, periods: periods, sigma: sigma, profile: profile)
    }

    /// Units of the cell's own demand at which its weekday pattern and its location's weigh
    /// the same.
    public static let poolingUnits = 200.0

    /// The flat per-period forecast of one method.
    public static func level(_ method: Method, _ y: [Double]) -> Double {
        guard !y.isEmpty else { return 0 }
        switch method {
        case .ses: return Smoothing.optimisedSES(y[...])
        case .croston: return DemandMethods.crostonOptimised(y)
        case .sba: return DemandMethods.sba(y)
        case .tsb: return DemandMethods.tsb(y, alphaDemand: 0.1, alphaProbability: 0.1)
        case .adida: return DemandMethods.adida(y)
        case .imapa: return DemandMethods.imapa(y)
        case .ets: return Smoothing.optimisedSES(y[...], lower: 0.0001, upper: 0.9999)
        case .historicAverage: return DemandMethods.historicAverage(y)
        case .robust: return DemandMethods.winsorisedMean(y)
        case .combined: return (DemandMethods.sba(y) + DemandMethods.winsorisedMean(y)) / 2
        case .zero: return 0
        }
    }

    /// A multiplicative season profile with mean 1: each season's share of demand over the
    /// series' whole seasons, shrunk towards flat by one season's worth of the mean (so a
    /// weekday seen with little demand does not get a factor of 0). Nil with no demand.
    public static func profile(_ y: [Double], season: Int, first: Int) -> [Double]? {
        var sums = Array(repeating: 0.0, count: season)
        var counts = Array(repeating: 0.0, count: season)
        for (index, value) in y.enumerated() {
            sums[(first + index) % season] += value
            counts[(first + index) % season] += 1
        }
        let total = sums.reduce(0, +)
        guard total > 0 else { return nil }
        let mean = total / Double(y.count)
        var factors = (0..<season).map { index -> Double in
            (sums[index] + mean) / ((counts[index] + 1) * mean)
        }
        let average = factors.reduce(0, +) / Double(season)
        for index in factors.indices { factors[index] /= average }
        return factors
    }
}
