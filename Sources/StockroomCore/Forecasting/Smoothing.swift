/// Simple exponential smoothing with statsforecast's conventions (version 2.1.1), so that
/// every method built on it can be checked against statsforecast to 1e-9
/// (sync-protocol/vectors/forecast, README "Forecasts"):
///
/// - the level starts at the first value (no optimised initial state);
/// - the one-step forecast after the last value is the forecast for every horizon;
/// - an optimised alpha is searched in [0.1, 0.3] by golden section on the in-sample sum
///   of squared one-step errors, to an interval of 1e-12.
///
/// Pure and allocation-light: the fitter runs these over 30,000 series at a time.
public enum Smoothing {
    /// The forecast after the last value, with smoothing `alpha` and the level starting at
    /// `x[0]`. `x` must not be empty.
    @inlinable
    public static func ses(_ x: ArraySlice<Double>, alpha: Double) -> Double {
        var level = x[x.startIndex]
        guard x.count > 1 else { return level }
        let complement = 1 - alpha
        for value in x {
            level = alpha * value + complement * level
        }
        return level
    }

    @inlinable
    public static func ses(_ x: [Double], alpha: Double) -> Double { ses(x[...], alpha: alpha) }

    /// Sum of squared one-step errors of SES with `alpha` (0 for fewer than two values).
    @inlinable
    public static func sse(_ x: ArraySlice<Double>, alpha: Double) -> Double {
        guard x.count >= 2 else { return 0 }
        let complement = 1 - alpha
        var forecast = x[x.startIndex]
        var sum = 0.0
        var previous = x[x.startIndex]
        for value in x.dropFirst() {
            forecast = alpha * previous + complement * forecast
            let error = value - forecast
            sum += error * error
            previous = value
        }
        return sum
    }

    /// The alpha in `lower...upper` that minimises ``sse(_:alpha:)``, by golden-section
    /// search stopped when the bracket is narrower than 1e-12, or at the first tie.
    public static func optimalAlpha(_ x: ArraySlice<Double>, lower: Double = 0.1, upper: Double = 0.3) -> Double {
        let ratio = (5.0.squareRoot() + 1) / 2
        var a = lower
        var b = upper
        var c = b - (b - a) / ratio
        var d = a + (b - a) / ratio
        var fc = sse(x, alpha: c)
        var fd = sse(x, alpha: d)
        while abs(b - a) >= 1e-12 {
            if fc < fd {
                b = d
                d = c
                fd = fc
                c = b - (b - a) / ratio
                fc = sse(x, alpha: c)
            } else if fd < fc {
                a = c
                c = d
                fc = fd
                d = a + (b - a) / ratio
                fd = sse(x, alpha: d)
            } else {
                break
            }
        }
        return (b + a) / 2
    }

    /// SES with the optimal alpha in `lower...upper`: the forecast after the last value.
    public static func optimisedSES(_ x: ArraySlice<Double>, lower: Double = 0.1, upper: Double = 0.3) -> Double {
        ses(x, alpha: optimalAlpha(x, lower: lower, upper: upper))
    }
}
