import GRDB
import StockroomCore

/// Months of the cell ledger: `(year - 1970) * 12 + month - 1`, and the running totals per
/// cell at each month's end (`cell_cumulative`), rolled up from `cell_days` on demand.
enum LedgerMonths {
    static func month(ofDay day: Int64) -> Int64 {
        let (year, month, _) = ISODate.civil(fromDays: Int(day))
        return Int64((year - 1970) * 12 + month - 1)
    }

    /// The first day of a month.
    static func firstDay(_ month: Int64) -> Int64 {
        let year = Int(month / 12) + 1970
        let monthOfYear = Int(month % 12) + 1
        return Int64(ISODate.daysFromCivil(year: year, month: monthOfYear, day: 1))
    }

    static func lastDay(_ month: Int64) -> Int64 { firstDay(month + 1) - 1 }

    /// The summed columns, in order; `last_sale_day` and `last_receipt_day` follow.
    static let sums = [
        "sold", "returned", "received", "adjusted", "damaged", "transferred", "counted", "net", "priced_units",
        "priced_cents", "received_costed", "received_cost",
    ]

    /// Makes the running totals valid for every month up to `month`, oldest first. Each
    /// month is the previous month's totals plus its days. Idempotent; in the caller's
    /// write transaction.
    static func rollUp(through month: Int64, db: Database) throws {
        guard let earliest = try Int64.fetchOne(db, sql: "SELECT min(day) FROM cell_days") else { return }
        let first = Self.month(ofDay: earliest)
        guard month >= first else { return }
        let rolled = Set(
            try Int64.fetchAll(
                db, sql: "SELECT month FROM ledger_rolled WHERE month BETWEEN ? AND ?", arguments: [first, month]))
        // Everything from the first month not rolled must be rolled again, in order.
        guard let start = (first...month).first(where: { !rolled.contains($0) }) else { return }
        let sumList = sums.joined(separator: ", ")
        let sumExpressions = sums.map { "sum(\($0))" }.joined(separator: ", ")
        for current in start...month {
            try db.execute(sql: "DELETE FROM cell_cumulative WHERE month = ?", arguments: [current])
            try db.execute(
                sql: """
                    INSERT INTO cell_cumulative (month, location, sku, \(sumList), last_sale_day, last_receipt_day)
                    SELECT ?, location, sku, \(sumExpressions), max(last_sale_day), max(last_receipt_day)
                    FROM (
                        SELECT location, sku, \(sumList), last_sale_day, last_receipt_day
                        FROM cell_cumulative WHERE month = ?
                        UNION ALL
                        SELECT location, sku, \(sumList),
                               CASE WHEN sold > 0 THEN day END, CASE WHEN received > 0 THEN day END
                        FROM cell_days WHERE day BETWEEN ? AND ?
                    )
                    GROUP BY location, sku
                    """,
                arguments: [current, current - 1, firstDay(current), lastDay(current)])
            try db.execute(sql: "INSERT OR REPLACE INTO ledger_rolled (month) VALUES (?)", arguments: [current])
        }
    }
}
