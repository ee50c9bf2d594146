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
    static func record(
        _ op: Op, from before: Int64, to after: Int64, into pending: inout Pending, db: Database
    ) throws {
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
        // Summed in memory and written once per cell-day when the transaction ends
        // (``flush(_:db:)``): a batch of 5,000 pushed ops touches each store's day row
        // once, not 5,000 times.
        var sums = Sums()
        sums.add(column, units)
        sums.pricedUnits = pricedUnits
        sums.pricedCents = pricedCents
        sums.costedUnits = costedUnits
        sums.costCents = costCents
        pending.add(PendingKey(day: day(op.businessMillis), location: key.location, sku: key.sku), sums)
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
    static func recordReceiptCosts(
        _ event: DocumentEvent, of op: Op, into pending: inout Pending, db: Database
    ) throws {
        let day = day(event.occurredAt ?? op.businessMillis)
        if !CellCost.receipts(of: event).isEmpty {
            try invalidateMonths(businessDay: day, writtenDay: Self.day(op.hlc.millis), db: db)
        }
        for line in CellCost.receipts(of: event) where line.quantity > 0 {
            guard let cost = line.unitCost else { continue }
            var sums = Sums()
            sums.costedUnits = line.quantity
            sums.costCents = line.quantity.multipliedReportingOverflow(by: cost).partialValue
            pending.add(PendingKey(day: day, location: event.location, sku: line.sku), sums)
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

    }

    /// One cell-day's sums, in the columns' order.
    struct Sums: Sendable {
        var sold: Int64 = 0, returned: Int64 = 0, received: Int64 = 0, adjusted: Int64 = 0, damaged: Int64 = 0
        var transferred: Int64 = 0, counted: Int64 = 0, net: Int64 = 0
        var pricedUnits: Int64 = 0, pricedCents: Int64 = 0, costedUnits: Int64 = 0, costCents: Int64 = 0

        /// Adds units to a column; `net` follows (sold and damaged take stock away).
        mutating func add(_ column: Column, _ units: Int64) {
            switch column {
            case .sold: sold &+= units
            case .returned: returned &+= units
            case .received: received &+= units
            case .adjusted: adjusted &+= units
            case .damaged: damaged &+= units
            case .transferred: transferred &+= units
            case .counted: counted &+= units
            }
            net &+= column == .sold || column == .damaged ? -units : units
        }

        mutating func add(_ other: Sums) {
            sold &+= other.sold
            returned &+= other.returned
            received &+= other.received
            adjusted &+= other.adjusted
            damaged &+= other.damaged
            transferred &+= other.transferred
            counted &+= other.counted
            net &+= other.net
            pricedUnits &+= other.pricedUnits
            pricedCents &+= other.pricedCents
            costedUnits &+= other.costedUnits
            costCents &+= other.costCents
        }

        var values: [Int64] {
            [
                sold, returned, received, adjusted, damaged, transferred, counted, net, pricedUnits, pricedCents,
                costedUnits, costCents,
            ]
        }
    }

    struct PendingKey: Hashable, Sendable {
        var day: Int64
        var location: String
        var sku: String
    }

    /// The ledger rows a transaction has yet to write. Part of ``WriteContext``, so a unit
    /// that rolls back takes its rows back with it.
    struct Pending: Sendable {
        var cells: [PendingKey: Sums] = [:]

        mutating func add(_ key: PendingKey, _ sums: Sums) { cells[key, default: Sums()].add(sums) }
        var isEmpty: Bool { cells.isEmpty }
    }

    static let columns = LedgerMonths.sums.joined(separator: ", ")
    static let increments = LedgerMonths.sums.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")
    static let cellFlushSQL = """
        INSERT INTO cell_days (day, location, sku, \(columns)) VALUES (?, ?, ?, \(LedgerMonths.sums.map { _ in "?" }.joined(separator: ", ")))
        ON CONFLICT (day, location, sku) DO UPDATE SET \(increments)
        """
    static let locationFlushSQL = """
        INSERT INTO location_days (day, location, \(columns)) VALUES (?, ?, \(LedgerMonths.sums.map { _ in "?" }.joined(separator: ", ")))
        ON CONFLICT (day, location) DO UPDATE SET \(increments)
        """

    /// Writes what the transaction summed: one upsert per cell-day and one per store-day.
    /// Called by the writer before each commit (and by the rebuild); idempotent once empty.
    static func flush(_ pending: inout Pending, db: Database) throws {
        guard !pending.isEmpty else { return }
        var locations: [PendingKey: Sums] = [:]
        let cell = try HotStatement(db, cellFlushSQL)
        for (key, sums) in pending.cells {
            cell.bind(1, key.day)
            cell.bind(2, key.location)
            cell.bind(3, key.sku)
            for (offset, value) in sums.values.enumerated() { cell.bind(Int32(4 + offset), value) }
            try cell.execute()
            locations[PendingKey(day: key.day, location: key.location, sku: ""), default: Sums()].add(sums)
        }
        let location = try HotStatement(db, locationFlushSQL)
        for (key, sums) in locations {
            location.bind(1, key.day)
            location.bind(2, key.location)
            for (offset, value) in sums.values.enumerated() { location.bind(Int32(3 + offset), value) }
            try location.execute()
        }
        pending.cells.removeAll(keepingCapacity: true)
    }
}
