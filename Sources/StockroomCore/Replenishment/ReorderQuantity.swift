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
}
