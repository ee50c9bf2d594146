/// The arithmetic of reports (issue #14), pure so that a reader can check it against
/// fixtures/reports/vectors.json, which an independent Python script computed.
public enum ReportArithmetic {
    /// An ABC class by share of revenue.
    public enum ABCClass: String, Sendable, Codable { case a = "A", b = "B", c = "C" }

    /// ABC analysis: items by revenue, highest first (ties by key), each classed by the
    /// cumulative share of revenue *before* it: A while that share is under `aShare`
    /// (80%), B under `bShare` (95%), C after. So the item that crosses 80% is still an
    /// A, and an item with no revenue is always a C.
    public static func abc(
        _ revenue: [(key: String, cents: Int64)], aShare: Double = 0.8, bShare: Double = 0.95
    ) -> [(key: String, cents: Int64, cumulativeShare: Double, abcClass: ABCClass)] {
        let sorted = revenue.sorted { $0.cents != $1.cents ? $0.cents > $1.cents : $0.key < $1.key }
        let total = Double(sorted.reduce(Int64(0)) { $0 &+ max(0, $1.cents) })
        var before = 0.0
        return sorted.map { entry in
            let share = total > 0 ? before / total : 1
            let abcClass: ABCClass =
                entry.cents <= 0 ? .c : share < aShare ? .a : share < bShare ? .b : .c
            before += Double(max(0, entry.cents))
            return (entry.key, entry.cents, total > 0 ? before / total : 0, abcClass)
        }
    }

    /// Inventory turnover over a period: units sold over the average of the opening and
    /// closing units on hand (nil when both are 0); days of inventory = days / turnover.
    public static func turnover(
        sold: Int64, opening: Int64, closing: Int64, days: Int
    ) -> (
        turnover: Double?, daysOfInventory: Double?
    ) {
        let average = Double(max(0, opening) + max(0, closing)) / 2
        guard average > 0 else { return (nil, nil) }
        let turns = Double(sold) / average
        return (turns, turns > 0 ? Double(days) / turns : nil)
    }

    /// Sell-through: units sold over units available in the period (opening on hand plus
    /// received); nil when nothing was available.
    public static func sellThrough(sold: Int64, opening: Int64, received: Int64) -> Double? {
        let available = max(0, opening) + max(0, received)
        return available > 0 ? Double(sold) / Double(available) : nil
    }

    /// Weighted average cost in cents from costed receipts (rounded half up), and the value
    /// of `onHand` units at it; nil when nothing costed was received.
    public static func valuation(
        onHand: Int64, costedUnits: Int64, costCents: Int64
    ) -> (
        averageCents: Int64?, valueCents: Int64?
    ) {
        let cost = CellCost(units: costedUnits, totalCents: costCents)
        return (cost.averageCents, cost.value(onHand: onHand))
    }

    /// The ageing bucket of a cell by days since its last sale (nil: never sold).
    public static func ageingBucket(daysSinceSale: Int?) -> String {
        guard let days = daysSinceSale else { return "never sold" }
        switch days {
        case ...30: return "0-30"
        case ...60: return "31-60"
        case ...90: return "61-90"
        case ...180: return "91-180"
        default: return "over 180"
        }
    }
}
