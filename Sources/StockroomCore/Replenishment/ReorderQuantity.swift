#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reorder arithmetic (sync-protocol section 11.5). Pure and saturating.
public enum ReorderQuantity {
    /// `value` rounded up to a multiple of `multiple` (1 or more).
    public static func roundUp(_ value: Int64, toMultipleOf multiple: Int64) -> Int64 {
        guard value > 0 else { return 0 }
        let step = Swift.max(1, multiple)
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: step)
        let (rounded, overflow) = (quotient + (remainder == 0 ? 0 : 1)).multipliedReportingOverflow(by: step)
        return overflow ? Int64.max : rounded
    }

    /// Odoo's rule: when the position is below the reorder point, order up to the maximum,
    /// rounded up to the multiple; else nothing.
    public static func odoo(position: Int64, reorderPoint: Int64, orderUpTo: Int64, multiple: Int64) -> Int64 {
        guard position < reorderPoint else { return 0 }
        return roundUp(StockMerge.sum(orderUpTo, -position), toMultipleOf: multiple)
    }

    /// ERPNext's rule, for comparison: when the projected quantity is below the level,
    /// order `max(reorderQty, level - projected)`.
    public static func erpnext(projected: Int64, level: Int64, reorderQty: Int64) -> Int64 {
        guard projected < level else { return 0 }
        return Swift.max(reorderQty, StockMerge.sum(level, -projected))
    }

    /// A purchase quantity after the supplier's terms: at least the minimum order, then up
    /// to a whole number of packs.
    public static func supplierQuantity(_ quantity: Int64, minimumOrder: Int64, packSize: Int64) -> Int64 {
        guard quantity > 0 else { return 0 }
        return roundUp(Swift.max(quantity, minimumOrder), toMultipleOf: packSize)
    }

    /// Units expected to sell during the lead time, rounded up.
    public static func leadTimeDemand(dailyRate: Double, leadDays: Int64) -> Int64 {
        guard dailyRate > 0, leadDays > 0 else { return 0 }
        let units = (dailyRate * Double(leadDays)).rounded(.up)
        return units >= Double(InputRules.maxQuantity) ? InputRules.maxQuantity : Int64(units)
    }

    /// Safety stock for a service level: z × σ × √lead days, rounded up (0 with no lead
    /// time or no variability).
    public static func safetyStock(sigmaPerDay: Double, leadDays: Int64, servicePerMille: Int64) -> Int64 {
        guard sigmaPerDay > 0, leadDays > 0 else { return 0 }
        let units = (z(servicePerMille: servicePerMille) * sigmaPerDay * Double(leadDays).squareRoot()).rounded(.up)
        return units >= Double(InputRules.maxQuantity) ? InputRules.maxQuantity : Swift.max(0, Int64(units))
    }

    /// The standard normal quantile of a service level in per mille (Acklam's rational
    /// approximation, relative error below 1.2e-9).
    public static func z(servicePerMille: Int64) -> Double {
        normalQuantile(Double(servicePerMille) / 1000)
    }

    public static func normalQuantile(_ p: Double) -> Double {
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * log(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
