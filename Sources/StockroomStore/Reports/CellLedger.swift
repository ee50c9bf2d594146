import GRDB
import StockroomCore

/// The daily ledger of every stock cell (sync-protocol section 12.2): per business day,
/// what was sold, returned, received, adjusted, damaged, transferred and corrected by
/// counts, with what was paid and charged. Maintained in the transaction of the op that
/// moved the stock, so it is always exactly the op log summed by day; `stockroom check`
/// and a rebuild reproduce it from the log.
///
/// Reports read this table instead of the log: a year of 10,000 items at 20 stores is a
/// few million ledger rows, not hundreds of millions of ops.
///
/// Count corrections are the change a count made to the quantity where it was applied,
/// so they follow this node's apply order; every other column is a sum of ops and is the
/// same on every node that holds them.
enum CellLedger {
    /// Business day of a time: whole days since 1970-01-01 UTC.
    @inline(__always) static func day(_ millis: UInt64) -> Int64 { Int64(millis / 86_400_000) }

    /// Folds a delta or count that took its cell from `before` to `after` into its day.
    static func record(_ op: Op, from before: Int64, to after: Int64, db: Database) throws {
        let key: StockKey
        var column: Column
        var units: Int64
        switch op.payload {
        case .delta(let cell, let quantity, let reason):
            key = cell
            units = quantity
            column = Column(reason)
        case .count(let cell, _, _):
            key = cell
            units = after &- before
            column = .counted
            guard units != 0 else { return try recordStockout(key, op: op, from: before, to: after, db: db) }
        default:
            return
        }
        let facts = op.facts
        var pricedUnits: Int64 = 0
        var pricedCents: Int64 = 0
        var costedUnits: Int64 = 0
        var costCents: Int64 = 0
        if let price = facts?.unitPrice, column == .sold || column == .returned {
            // Net of refunds: a priced return takes its units and cents back.
            pricedUnits = column == .sold ? Int64(units.magnitude) : -Int64(units.magnitude)
            pricedCents = pricedUnits.multipliedReportingOverflow(by: price).partialValue
        }
        if let cost = facts?.unitCost, column == .received, units > 0 {
            costedUnits = units
            costCents = units.multipliedReportingOverflow(by: cost).partialValue
        }
        if column == .sold || column == .returned || column == .damaged { units = Int64(units.magnitude) }
        let businessDay = day(op.businessMillis)
        for sql in [column.cellUpsertSQL, column.locationUpsertSQL] {
            let statement = try HotStatement(db, sql)
            statement.bind(1, businessDay)
            statement.bind(2, key.location)
            statement.bind(3, key.sku)
            statement.bind(4, units)
            statement.bind(5, pricedUnits)
            statement.bind(6, pricedCents)
            statement.bind(7, costedUnits)
            statement.bind(8, costCents)
            try statement.execute()
        }
        try invalidateMonths(businessDay: day(op.businessMillis), writtenDay: day(op.hlc.millis), db: db)
        try recordStockout(key, op: op, from: before, to: after, db: db)
    }

    /// A movement dated in a month before the one it was written in (history, or a store
    /// that was offline across a month end) changes that month's running totals and every
    /// later month's: they are rolled up again when a report next needs them.
    @inline(__always)
    static func invalidateMonths(businessDay: Int64, writtenDay: Int64, db: Database) throws {
        guard businessDay < writtenDay, LedgerMonths.month(ofDay: businessDay) < LedgerMonths.month(ofDay: writtenDay)
        else { return }
        try db.cachedStatement(sql: "DELETE FROM ledger_rolled WHERE month >= ?")
            .execute(arguments: [LedgerMonths.month(ofDay: businessDay)])
    }

    /// What a purchase order receipt paid: its lines' unit costs, on the receipt's day.
    /// The units themselves arrive by the `receive` deltas written beside the event.
    static func recordReceiptCosts(_ event: DocumentEvent, of op: Op, db: Database) throws {
        let day = day(event.occurredAt ?? op.businessMillis)
        if !CellCost.receipts(of: event).isEmpty {
            try invalidateMonths(businessDay: day, writtenDay: Self.day(op.hlc.millis), db: db)
        }
        for line in CellCost.receipts(of: event) where line.quantity > 0 {
            guard let cost = line.unitCost else { continue }
            let cents = line.quantity.multipliedReportingOverflow(by: cost).partialValue
            for (table, key) in [("cell_days", "day, location, sku"), ("location_days", "day, location")] {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO \(table) (\(key), received_costed, received_cost)
                        VALUES (\(table == "cell_days" ? "?1, ?2, ?3" : "?1, ?2"), ?4, ?5)
                        ON CONFLICT (\(key)) DO UPDATE SET
                            received_costed = received_costed + excluded.received_costed,
                            received_cost = received_cost + excluded.received_cost
                        """
                ).execute(arguments: [day, event.location, line.sku, line.quantity, cents])
            }
        }
    }

    /// Opens a stockout span when on hand falls from above zero to zero or below, and
    /// closes it when stock comes back (section 12.2), at the op's business time.
    private static func recordStockout(
        _ key: StockKey, op: Op, from before: Int64, to after: Int64, db: Database
    )
        throws
    {
        if before > 0, after <= 0 {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO stockouts (sku, location, started_at, started_by) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [key.sku, key.location, Int64(op.businessMillis), op.id.description])
        } else if before <= 0, after > 0 {
            try db.cachedStatement(
                sql: """
                    UPDATE stockouts SET ended_at = max(started_at, ?)
                    WHERE sku = ? AND location = ? AND ended_at IS NULL
                    """
            ).execute(arguments: [Int64(op.businessMillis), key.sku, key.location])
        }
    }

    /// The ledger column a movement adds to.
    enum Column: String {
        case sold, returned, received, adjusted, damaged, transferred, counted

        init(_ reason: StockReason) {
            self =
                switch reason {
                case .sale: .sold
                case .return: .returned
                case .receive: .received
                case .adjust: .adjusted
                case .damage: .damaged
                case .transfer: .transferred
                }
        }

        var cellUpsertSQL: String { upsertSQL(table: "cell_days", key: ["day", "location", "sku"]) }
        var locationUpsertSQL: String { upsertSQL(table: "location_days", key: ["day", "location"]) }

        /// Adds units, priced units and cents, costed units and cents to one day's row;
        /// `net` is the change of on hand, whatever the column. Binds ?1 day, ?2 location,
        /// ?3 sku (unused by location_days), ?4 units, ?5-?8 priced and costed figures.
        private func upsertSQL(table: String, key: [String]) -> String {
            let sign = self == .sold || self == .damaged ? "-" : "+"
            let keyValues = key.count == 3 ? "?1, ?2, ?3" : "?1, ?2"
            return """
                INSERT INTO \(table) (\(key.joined(separator: ", ")), \(rawValue), net, priced_units, priced_cents,
                                       received_costed, received_cost)
                VALUES (\(keyValues), ?4, \(sign)?4, ?5, ?6, ?7, ?8)
                ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET
                    \(rawValue) = \(rawValue) + excluded.\(rawValue), net = net + excluded.net,
                    priced_units = priced_units + excluded.priced_units,
                    priced_cents = priced_cents + excluded.priced_cents,
                    received_costed = received_costed + excluded.received_costed,
                    received_cost = received_cost + excluded.received_cost
                """
        }
    }
}
