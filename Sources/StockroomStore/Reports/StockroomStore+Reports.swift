import Foundation
import GRDB
public import StockroomCore

/// The reports of issue #14. Each is a query over the cell ledger (`cell_days`,
/// `location_days`, the monthly running totals `cell_cumulative`), the stockout spans and
/// the catalogue, never a second copy of the data: `stockroom check` and a rebuild
/// reproduce everything they read.
public enum ReportName: String, CaseIterable, Sendable {
    case stockValue = "stock-value"
    case movements
    case sales
    case stockouts
    case turnover
    case deadStock = "dead-stock"
    case abc
    case suppliers

    public var summary: String {
        switch self {
        case .stockValue: "units on hand and their value at weighted average cost, as of the end of --to"
        case .movements:
            "units moved by reason (sold, returned, received, adjusted, damaged, transferred, counted), per period and store"
        case .sales: "units and revenue per period, item, category or store"
        case .stockouts: "when cells were at zero on hand, and for how long"
        case .turnover: "turnover, days of inventory and sell-through per item and store"
        case .deadStock: "stock with no sale for --stale-days (default 90), with its value and age"
        case .abc: "items classed A (first 80% of revenue), B (next 15%) and C"
        case .suppliers: "per supplier: purchase orders, fill rate, lead time observed, on-time rate"
        }
    }
}

/// What a report is asked for. Days are day numbers (days since 1970-01-01, UTC).
public struct ReportQuery: Sendable {
    public enum Grouping: String, CaseIterable, Sendable { case cell, item, category, location, period }
    public enum Period: String, CaseIterable, Sendable { case day, week, month }

    public var name: ReportName
    public var from: Int64
    public var to: Int64
    public var location: String?
    public var by: Grouping?
    public var period: Period
    /// Dead stock: days without a sale.
    public var staleDays: Int

    public init(
        name: ReportName, from: Int64, to: Int64, location: String? = nil, by: Grouping? = nil, period: Period = .month,
        staleDays: Int = 90
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.location = location
        self.by = by
        self.period = period
        self.staleDays = staleDays
    }
}

extension ReportQuery {
    /// Why an argument of a report, forecast or anomaly list is refused.
    public struct ArgumentProblem: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// Reads and checks the arguments of the report command and route (dates as
    /// YYYY-MM-DD; `to` defaults to today, `from` to 29 days before `to`).
    public static func parse(
        name: String, from: String?, to: String?, location: String?, by: String?, period: String, staleDays: Int
    ) throws(ArgumentProblem) -> ReportQuery {
        guard let report = ReportName(rawValue: name) else {
            throw ArgumentProblem(
                "unknown report '\(name.prefix(40))'; reports: \(ReportName.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let today = Int64(Date().timeIntervalSince1970 / 86_400)
        var toDay = today
        if let to {
            guard let day = ISODate.day(to) else {
                throw ArgumentProblem("to '\(to.prefix(20))' is not a date like 2025-03-01")
            }
            toDay = day
        }
        var fromDay = toDay - 29
        if let from {
            guard let day = ISODate.day(from) else {
                throw ArgumentProblem("from '\(from.prefix(20))' is not a date like 2025-03-01")
            }
            fromDay = day
        }
        guard fromDay <= toDay else {
            throw ArgumentProblem("from \(ISODate.dateText(day: fromDay)) is after to \(ISODate.dateText(day: toDay))")
        }
        guard toDay - fromDay < 3660 else { throw ArgumentProblem("a report covers at most 10 years") }
        var grouping: ReportQuery.Grouping?
        if let by {
            guard let parsed = ReportQuery.Grouping(rawValue: by) else {
                throw ArgumentProblem(
                    "by must be one of: \(ReportQuery.Grouping.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            grouping = parsed
        }
        guard let periodValue = ReportQuery.Period(rawValue: period) else {
            throw ArgumentProblem("period must be day, week or month")
        }
        guard (1...3650).contains(staleDays) else { throw ArgumentProblem("stale_days must be 1 to 3650") }
        if let location, let problem = InputRules.identifierProblem(location, name: "location") {
            throw ArgumentProblem(problem)
        }
        return ReportQuery(
            name: report, from: fromDay, to: toDay, location: location, by: grouping, period: periodValue,
            staleDays: staleDays)
    }
}

extension StockroomStore {
    /// Runs a report. Rolls the monthly running totals up first when a movement dated in
    /// the past made them stale (a short write), then reads one WAL snapshot.
    ///
    /// - Throws: ``StoreError/invalid(field:message:)`` for `from` after `to` or a grouping
    ///   the report does not offer.
    public func report(_ query: ReportQuery) async throws -> ReportTable {
        guard query.from <= query.to else {
            throw StoreError.invalid(
                field: "from",
                message: "from (\(ISODate.dateText(day: query.from))) is after to (\(ISODate.dateText(day: query.to)))")
        }
        let needed = LedgerMonths.month(ofDay: query.to) - 1
        try await groupWriter.submit { db, context in
            // Ledger rows summed by earlier units of this transaction go in first.
            try CellLedger.flush(&context.ledger, db: db)
            try LedgerMonths.rollUp(through: needed, db: db)
        }
        return try await read { db in
            var reader = ReportReader(db: db, query: query)
            return try reader.run()
        }
    }
}

/// Builds one report inside a read transaction.
struct ReportReader {
    let db: Database
    let query: ReportQuery

    /// Per-cell ledger sums over a span of days.
    struct Sums {
        var sold: Int64 = 0, returned: Int64 = 0, received: Int64 = 0, adjusted: Int64 = 0, damaged: Int64 = 0
        var transferred: Int64 = 0, counted: Int64 = 0, net: Int64 = 0, pricedUnits: Int64 = 0, pricedCents: Int64 = 0
        var costedUnits: Int64 = 0, costCents: Int64 = 0
        var lastSaleDay: Int64?
        var lastReceiptDay: Int64?

        init() {}

        init(row: Row, offset: Int) {
            sold = row[offset]
            returned = row[offset + 1]
            received = row[offset + 2]
            adjusted = row[offset + 3]
            damaged = row[offset + 4]
            transferred = row[offset + 5]
            counted = row[offset + 6]
            net = row[offset + 7]
            pricedUnits = row[offset + 8]
            pricedCents = row[offset + 9]
            costedUnits = row[offset + 10]
            costCents = row[offset + 11]
            if row.count > offset + 12 {
                lastSaleDay = row[offset + 12]
                lastReceiptDay = row[offset + 13]
            }
        }

        static func + (lhs: Sums, rhs: Sums) -> Sums {
            var sum = lhs
            sum.sold &+= rhs.sold
            sum.returned &+= rhs.returned
            sum.received &+= rhs.received
            sum.adjusted &+= rhs.adjusted
            sum.damaged &+= rhs.damaged
            sum.transferred &+= rhs.transferred
            sum.counted &+= rhs.counted
            sum.net &+= rhs.net
            sum.pricedUnits &+= rhs.pricedUnits
            sum.pricedCents &+= rhs.pricedCents
            sum.costedUnits &+= rhs.costedUnits
            sum.costCents &+= rhs.costCents
            sum.lastSaleDay = [lhs.lastSaleDay, rhs.lastSaleDay].compactMap { $0 }.max()
            sum.lastReceiptDay = [lhs.lastReceiptDay, rhs.lastReceiptDay].compactMap { $0 }.max()
            return sum
        }
    }

    struct Item {
        var name: String
        var category: String
        var priceCents: Int64?
    }

    static let sumColumns = LedgerMonths.sums.joined(separator: ", ")

    /// SQL and arguments for the rows (location, sku, sums…, last sale day, last receipt
    /// day) whose sum per cell is the ledger from the beginning through `day`: the running
    /// totals at the end of the previous month and the days of `day`'s month.
    func cumulativeSQL(through day: Int64, negate: Bool = false) -> (String, [DatabaseValueConvertible]) {
        let month = LedgerMonths.month(ofDay: day)
        let sign = negate ? "-" : ""
        let sums = LedgerMonths.sums.map { "\(sign)\($0)" }.joined(separator: ", ")
        let lastDays = negate ? "NULL, NULL" : "last_sale_day, last_receipt_day"
        let dayLastDays =
            negate ? "NULL, NULL" : "CASE WHEN sold > 0 THEN day END, CASE WHEN received > 0 THEN day END"
        let sql = """
            SELECT location, sku, \(sums), \(lastDays) FROM cell_cumulative WHERE month = ?
            UNION ALL
            SELECT location, sku, \(sums), \(dayLastDays) FROM cell_days WHERE day BETWEEN ? AND ?
            """
        return (sql, [month - 1, LedgerMonths.firstDay(month), day])
    }

    /// Ledger sums per cell over `from...to` (or from the beginning when `from` is nil).
    func cellSums(from: Int64?, through to: Int64) throws -> [StockKey: Sums] {
        var (sql, arguments) = cumulativeSQL(through: to)
        if let from {
            let (before, beforeArguments) = cumulativeSQL(through: from - 1, negate: true)
            sql += "\nUNION ALL\n" + before
            arguments += beforeArguments
        }
        let sumExpressions = LedgerMonths.sums.map { "sum(\($0))" }.joined(separator: ", ")
        var filter = ""
        if let location = query.location {
            filter = "WHERE location = ? OR substr(location, 1, ?) = ?"
            arguments += [location, location.utf8.count + 1, location + "/"]
        }
        // A compound select takes its column names from its first part: the running totals
        // through `to`, whose columns are the ledger's own.
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT location, sku, \(sumExpressions), max(last_sale_day), max(last_receipt_day)
                FROM (\(sql)) \(filter)
                GROUP BY location, sku
                """,
            arguments: StatementArguments(arguments))
        var sums: [StockKey: Sums] = [:]
        while let row = try cursor.next() {
            sums[StockKey(sku: row[1], location: row[0])] = Sums(row: row, offset: 2)
        }
        return sums
    }

    func items() throws -> [String: Item] {
        var items: [String: Item] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sku, name, category, price_cents FROM items") {
            items[row[0]] = Item(name: row[1], category: row[2], priceCents: row[3])
        }
        return items
    }

    /// Revenue of a span: priced sales net of priced refunds, plus the units without a
    /// price at the catalogue's current price.
    static func revenue(_ sums: Sums, price: Int64?) -> Int64 {
        let unpriced = sums.sold - sums.returned - sums.pricedUnits
        return sums.pricedCents &+ unpriced &* (price ?? 0)
    }

    mutating func run() throws -> ReportTable {
        // Reports with one shape refuse a grouping rather than ignore it.
        let fixed: [ReportName: ReportQuery.Grouping] = [
            .movements: .period, .stockouts: .cell, .deadStock: .cell, .abc: .item, .suppliers: .item,
        ]
        if let shape = fixed[query.name] { _ = try requireGrouping([shape], default: shape) }
        switch query.name {
        case .stockValue: return try stockValue()
        case .movements: return try movements(sales: false)
        case .sales: return try sales()
        case .stockouts: return try stockouts()
        case .turnover: return try turnover()
        case .deadStock: return try deadStock()
        case .abc: return try abc()
        case .suppliers: return try suppliers()
        }
    }

    func table(_ columns: [ReportTable.Column], _ rows: [[ReportTable.Cell]], from: Int64? = nil) -> ReportTable {
        ReportTable(
            name: query.name.rawValue, from: from ?? query.from, to: query.to, location: query.location,
            columns: columns,
            rows: rows)
    }

    func requireGrouping(
        _ allowed: [ReportQuery.Grouping], default fallback: ReportQuery.Grouping
    ) throws
        -> ReportQuery.Grouping
    {
        let by = query.by ?? fallback
        guard allowed.contains(by) else {
            throw StoreError.invalid(
                field: "by",
                message:
                    "report \(query.name.rawValue) groups by \(allowed.map(\.rawValue).joined(separator: ", ")), not \(by.rawValue)"
            )
        }
        return by
    }

    /// The group key of a cell.
    static func groupKey(_ key: StockKey, _ by: ReportQuery.Grouping, items: [String: Item]) -> [String] {
        switch by {
        case .cell: [key.sku, key.location]
        case .item: [key.sku]
        case .category: [items[key.sku]?.category ?? ""]
        case .location: [key.location]
        case .period: []
        }
    }

    static func keyColumns(_ by: ReportQuery.Grouping) -> [ReportTable.Column] {
        switch by {
        case .cell: [.init("sku", .text), .init("location", .text)]
        case .item: [.init("sku", .text)]
        case .category: [.init("category", .text)]
        case .location: [.init("location", .text)]
        case .period: [.init("period", .date)]
        }
    }

    // MARK: Stock on hand and value

    func stockValue() throws -> ReportTable {
        let by = try requireGrouping([.cell, .item, .category, .location], default: .cell)
        let items = try items()
        let sums = try cellSums(from: nil, through: query.to)
        var groups: [[String]: (onHand: Int64, value: Int64, unvalued: Int64)] = [:]
        var cellRows: [[ReportTable.Cell]] = []
        for (key, cell) in sums.sorted(by: { $0.key < $1.key }) where cell.net != 0 || cell.costedUnits != 0 {
            let (average, value) = ReportArithmetic.valuation(
                onHand: cell.net, costedUnits: cell.costedUnits, costCents: cell.costCents)
            let unvalued = value == nil ? max(0, cell.net) : 0
            if by == .cell {
                guard cell.net != 0 else { continue }
                let item = items[key.sku]
                cellRows.append([
                    .text(key.sku), .text(item?.name ?? ""), .text(item?.category ?? ""), .text(key.location),
                    .integer(cell.net), average.map { .money($0) } ?? .none, value.map { .money($0) } ?? .none,
                    .integer(unvalued),
                ])
            } else {
                var group = groups[Self.groupKey(key, by, items: items), default: (0, 0, 0)]
                group.onHand &+= cell.net
                group.value &+= value ?? 0
                group.unvalued &+= unvalued
                groups[Self.groupKey(key, by, items: items)] = group
            }
        }
        var result: ReportTable
        if by == .cell {
            result = table(
                [
                    .init("sku", .text), .init("name", .text), .init("category", .text), .init("location", .text),
                    .init("on_hand", .integer, summed: true), .init("average_cost", .money),
                    .init("value", .money, summed: true), .init("unvalued_units", .integer, summed: true),
                ], cellRows, from: nil)
        } else {
            result = table(
                Self.keyColumns(by) + [
                    .init("on_hand", .integer, summed: true), .init("value", .money, summed: true),
                    .init("unvalued_units", .integer, summed: true),
                ],
                groups.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, group in
                    key.map { .text($0) } + [.integer(group.onHand), .money(group.value), .integer(group.unvalued)]
                })
        }
        result.from = nil
        result.notes = [
            "On hand as of the end of \(ISODate.dateText(day: query.to)) (UTC), from the op log by business time.",
            "Value at the weighted average cost of every costed receipt up to then; units with no costed receipt are counted in unvalued_units.",
        ]
        return result
    }

    // MARK: Movements and sales by period

    static let movementColumns = [
        "sold", "returned", "received", "adjusted", "damaged", "transferred", "counted", "net",
    ]

    func periodStart(_ day: Int64) -> Int64 {
        switch query.period {
        case .day: return day
        case .week: return day - (day + 3) % 7  // weeks start on Monday (1970-01-01 was a Thursday)
        case .month: return LedgerMonths.firstDay(LedgerMonths.month(ofDay: day))
        }
    }

    /// Rows of `location_days` in the range, filtered by location.
    func locationDays() throws -> [(day: Int64, location: String, sums: Sums)] {
        var sql = "SELECT day, location, \(Self.sumColumns) FROM location_days WHERE day BETWEEN ? AND ?"
        var arguments: [DatabaseValueConvertible] = [query.from, query.to]
        if let location = query.location {
            sql += " AND (location = ? OR substr(location, 1, ?) = ?)"
            arguments += [location, location.utf8.count + 1, location + "/"]
        }
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
            (day: $0[0], location: $0[1], sums: Sums(row: $0, offset: 2))
        }
    }

    func movements(sales: Bool) throws -> ReportTable {
        var groups: [[String]: Sums] = [:]
        var periods: [[String]: Int64] = [:]
        for entry in try locationDays() {
            let start = periodStart(entry.day)
            let key = [String(start), entry.location]
            groups[key] = (groups[key] ?? Sums()) + entry.sums
            periods[key] = start
        }
        let rows = groups.sorted { (periods[$0.key]!, $0.key[1]) < (periods[$1.key]!, $1.key[1]) }.map { key, sums in
            [ReportTable.Cell.date(periods[key]!), .text(key[1])]
                + [
                    sums.sold, sums.returned, sums.received, sums.adjusted, sums.damaged, sums.transferred,
                    sums.counted, sums.net,
                ]
                .map { ReportTable.Cell.integer($0) }
        }
        var result = table(
            [.init("period", .date), .init("location", .text)]
                + Self.movementColumns.map { ReportTable.Column($0, .integer, summed: true) }, rows)
        result.notes = [
            "Units per \(query.period.rawValue) (weeks start on Monday) by business day, UTC. counted is what counts corrected; net is the change of on hand."
        ]
        return result
    }

    func sales() throws -> ReportTable {
        let by = try requireGrouping([.period, .item, .category, .location], default: .period)
        let items = try items()
        var result: ReportTable
        switch by {
        case .period, .location:
            var groups: [[String]: (sold: Int64, returned: Int64, revenue: Int64, priced: Int64)] = [:]
            var periods: [[String]: Int64] = [:]
            // location_days has no per-item prices: revenue of unpriced units comes from
            // the cells (their catalogue price), so sum revenue per cell-day only when needed.
            let unpriced = try unpricedRevenueByLocationDay(items: items)
            for entry in try locationDays() where entry.sums.sold != 0 || entry.sums.returned != 0 {
                let start = by == .period ? periodStart(entry.day) : 0
                let key = by == .period ? [String(start), entry.location] : [entry.location]
                var group = groups[key, default: (0, 0, 0, 0)]
                group.sold &+= entry.sums.sold
                group.returned &+= entry.sums.returned
                group.revenue &+= entry.sums.pricedCents &+ (unpriced["\(entry.day) \(entry.location)"] ?? 0)
                groups[key] = group
                periods[key] = start
            }
            let ordered = groups.sorted { lhs, rhs in
                by == .period
                    ? (periods[lhs.key]!, lhs.key[1]) < (periods[rhs.key]!, rhs.key[1]) : lhs.key[0] < rhs.key[0]
            }
            result = table(
                (by == .period ? [.init("period", .date), .init("location", .text)] : [.init("location", .text)]) + [
                    .init("units_sold", .integer, summed: true), .init("units_returned", .integer, summed: true),
                    .init("net_units", .integer, summed: true), .init("revenue", .money, summed: true),
                ],
                ordered.map { key, group in
                    (by == .period ? [.date(periods[key]!), .text(key[1])] : [.text(key[0])]) + [
                        .integer(group.sold), .integer(group.returned), .integer(group.sold - group.returned),
                        .money(group.revenue),
                    ]
                })
        default:
            let sums = try cellSums(from: query.from, through: query.to)
            var groups: [[String]: (sold: Int64, returned: Int64, revenue: Int64)] = [:]
            for (key, cell) in sums where cell.sold != 0 || cell.returned != 0 {
                let group = Self.groupKey(key, by, items: items)
                var entry = groups[group, default: (0, 0, 0)]
                entry.sold &+= cell.sold
                entry.returned &+= cell.returned
                entry.revenue &+= Self.revenue(cell, price: items[key.sku]?.priceCents)
                groups[group] = entry
            }
            let extra: [ReportTable.Column] = by == .item ? [.init("name", .text), .init("category", .text)] : []
            result = table(
                Self.keyColumns(by) + extra + [
                    .init("units_sold", .integer, summed: true), .init("units_returned", .integer, summed: true),
                    .init("net_units", .integer, summed: true), .init("revenue", .money, summed: true),
                ],
                groups.sorted {
                    $0.value.revenue != $1.value.revenue
                        ? $0.value.revenue > $1.value.revenue : $0.key.lexicographicallyPrecedes($1.key)
                }
                .map { key, group in
                    key.map { ReportTable.Cell.text($0) }
                        + (by == .item ? [.text(items[key[0]]?.name ?? ""), .text(items[key[0]]?.category ?? "")] : [])
                        + [
                            .integer(group.sold), .integer(group.returned), .integer(group.sold - group.returned),
                            .money(group.revenue),
                        ]
                })
        }
        result.notes = [
            "Revenue is the price recorded with each sale net of refunds; sales recorded without a price count at the catalogue's price."
        ]
        return result
    }

    /// Revenue of sales recorded without a price, per "day location", at the catalogue's
    /// price: only cell-days with such units are read.
    func unpricedRevenueByLocationDay(items: [String: Item]) throws -> [String: Int64] {
        var sql = """
            SELECT day, location, sku, sold - returned - priced_units FROM cell_days
            WHERE day BETWEEN ? AND ? AND sold - returned - priced_units != 0
            """
        var arguments: [DatabaseValueConvertible] = [query.from, query.to]
        if let location = query.location {
            sql += " AND (location = ? OR substr(location, 1, ?) = ?)"
            arguments += [location, location.utf8.count + 1, location + "/"]
        }
        var revenue: [String: Int64] = [:]
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while let row = try cursor.next() {
            let units: Int64 = row[3]
            revenue["\(row[0] as Int64) \(row[1] as String)", default: 0] &+= units &* (items[row[2]]?.priceCents ?? 0)
        }
        return revenue
    }

    // MARK: Stockouts

    func stockouts() throws -> ReportTable {
        let start = UInt64(query.from) * 86_400_000
        let end = UInt64(query.to + 1) * 86_400_000
        var sql = """
            SELECT sku, location, started_at, ended_at, started_by FROM stockouts
            WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?)
            """
        var arguments: [DatabaseValueConvertible] = [Int64(end), Int64(start)]
        if let location = query.location {
            sql += " AND (location = ? OR substr(location, 1, ?) = ?)"
            arguments += [location, location.utf8.count + 1, location + "/"]
        }
        sql += " ORDER BY started_at, sku, location"
        let items = try items()
        let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
            row -> [ReportTable.Cell] in
            let began = UInt64(row[2] as Int64)
            let ended = (row[3] as Int64?).map { UInt64($0) }
            // Hours out within the period asked for.
            let inside = Int64((min(ended ?? end, end) - max(began, start)) / 3_600_000)
            return [
                .text(row[0]), .text(items[row[0]]?.name ?? ""), .text(row[1]), .text(ISODate.text(began)),
                ended.map { .text(ISODate.text($0)) } ?? .text("still out"), .integer(inside), .text(row[4]),
            ]
        }
        var result = table(
            [
                .init("sku", .text), .init("name", .text), .init("location", .text), .init("out_from", .text),
                .init("out_until", .text), .init("hours_out", .integer, summed: true), .init("emptied_by", .text),
            ], rows)
        result.notes = [
            "A stockout runs from the movement that took on hand to zero or below to the one that brought it back, in business time; hours_out counts only the hours inside the period."
        ]
        return result
    }

    // MARK: Turnover and sell-through

    func turnover() throws -> ReportTable {
        let by = try requireGrouping([.cell, .item, .category, .location], default: .item)
        let items = try items()
        let period = try cellSums(from: query.from, through: query.to)
        let opening = try cellSums(from: nil, through: query.from - 1)
        let days = Int(query.to - query.from + 1)
        var groups: [[String]: (sold: Int64, opening: Int64, closing: Int64, received: Int64)] = [:]
        for (key, cell) in period {
            let open = opening[key]?.net ?? 0
            let group = Self.groupKey(key, by, items: items)
            var entry = groups[group, default: (0, 0, 0, 0)]
            entry.sold &+= cell.sold - cell.returned
            entry.opening &+= open
            entry.closing &+= open &+ cell.net
            entry.received &+= cell.received
            groups[group] = entry
        }
        for (key, cell) in opening where period[key] == nil && cell.net != 0 {
            let group = Self.groupKey(key, by, items: items)
            var entry = groups[group, default: (0, 0, 0, 0)]
            entry.opening &+= cell.net
            entry.closing &+= cell.net
            groups[group] = entry
        }
        let rows = groups.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, entry -> [ReportTable.Cell] in
            let turns = ReportArithmetic.turnover(
                sold: entry.sold, opening: entry.opening, closing: entry.closing, days: days)
            let sellThrough = ReportArithmetic.sellThrough(
                sold: entry.sold, opening: entry.opening, received: entry.received)
            return key.map { .text($0) } + [
                .integer(entry.sold), .integer(entry.opening), .integer(entry.closing), .integer(entry.received),
                turns.turnover.map { .ratio($0) } ?? .none, turns.daysOfInventory.map { .ratio($0) } ?? .none,
                sellThrough.map { .ratio($0) } ?? .none,
            ]
        }
        var result = table(
            Self.keyColumns(by) + [
                .init("units_sold", .integer, summed: true), .init("opening_on_hand", .integer, summed: true),
                .init("closing_on_hand", .integer, summed: true), .init("units_received", .integer, summed: true),
                .init("turnover", .ratio), .init("days_of_inventory", .ratio), .init("sell_through", .ratio),
            ], rows)
        result.notes = [
            "turnover = units sold (net of returns) / average of opening and closing on hand; days_of_inventory = days / turnover; sell_through = units sold / (opening on hand + units received)."
        ]
        return result
    }

    // MARK: Dead stock and ageing

    func deadStock() throws -> ReportTable {
        let items = try items()
        let sums = try cellSums(from: nil, through: query.to)
        var rows: [[ReportTable.Cell]] = []
        for (key, cell) in sums.sorted(by: { $0.key < $1.key }) where cell.net > 0 {
            let sinceSale = cell.lastSaleDay.map { Int(query.to - $0) }
            guard sinceSale.map({ $0 >= query.staleDays }) ?? true else { continue }
            let (_, value) = ReportArithmetic.valuation(
                onHand: cell.net, costedUnits: cell.costedUnits, costCents: cell.costCents)
            rows.append([
                .text(key.sku), .text(items[key.sku]?.name ?? ""), .text(key.location), .integer(cell.net),
                value.map { .money($0) } ?? .none, cell.lastSaleDay.map { .date($0) } ?? .none,
                sinceSale.map { .integer(Int64($0)) } ?? .none,
                cell.lastReceiptDay.map { .integer(query.to - $0) } ?? .none,
                .text(ReportArithmetic.ageingBucket(daysSinceSale: sinceSale)),
            ])
        }
        var result = table(
            [
                .init("sku", .text), .init("name", .text), .init("location", .text),
                .init("on_hand", .integer, summed: true), .init("value", .money, summed: true),
                .init("last_sale", .date), .init("days_since_sale", .integer), .init("days_since_receipt", .integer),
                .init("ageing", .text),
            ], rows)
        result.from = nil
        result.notes = [
            "Cells with stock on hand and no sale in the \(query.staleDays) days up to \(ISODate.dateText(day: query.to)); ageing buckets by days since the last sale."
        ]
        return result
    }

    // MARK: ABC

    func abc() throws -> ReportTable {
        let items = try items()
        let sums = try cellSums(from: query.from, through: query.to)
        var revenue: [String: Int64] = [:]
        var units: [String: Int64] = [:]
        for (key, cell) in sums {
            revenue[key.sku, default: 0] &+= Self.revenue(cell, price: items[key.sku]?.priceCents)
            units[key.sku, default: 0] &+= cell.sold - cell.returned
        }
        let classed = ReportArithmetic.abc(revenue.map { (key: $0.key, cents: $0.value) })
        var result = table(
            [
                .init("sku", .text), .init("name", .text), .init("category", .text),
                .init("units_sold", .integer, summed: true), .init("revenue", .money, summed: true),
                .init("cumulative_share", .ratio), .init("class", .text),
            ],
            classed.map { entry in
                [
                    .text(entry.key), .text(items[entry.key]?.name ?? ""), .text(items[entry.key]?.category ?? ""),
                    .integer(units[entry.key] ?? 0), .money(entry.cents), .ratio(entry.cumulativeShare),
                    .text(entry.abcClass.rawValue),
                ]
            })
        result.notes = [
            "A: the items that make the first 80% of revenue; B: the next 15%; C: the rest and items with no revenue."
        ]
        return result
    }

    // MARK: Suppliers

    func suppliers() throws -> ReportTable {
        // Purchase order events, oldest first: creates give what was ordered and when,
        // receipts what came and when.
        struct Order {
            var supplier: String
            var created: UInt64
            var ordered: Int64 = 0
            var received: Int64 = 0
            var firstReceipt: UInt64?
            var location: String
        }
        var orders: [String: Order] = [:]
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT body, hlc, occurred_at FROM ops WHERE kind = ? ORDER BY lsn",
            arguments: [Int64(OpKind.event.rawValue)])
        while let row = try cursor.next() {
            guard let event = DocumentEvent(compactText: row[0] ?? ""), event.kind == .purchaseOrder else { continue }
            let at = event.occurredAt ?? HLC(packed: row[1]).millis
            switch event.action {
            case .create:
                guard let supplier = event.counterpart else { continue }
                orders[event.document] = Order(
                    supplier: supplier, created: at, ordered: event.lines.reduce(0) { $0 + $1.quantity },
                    location: event.location)
            case .receive:
                guard var order = orders[event.document] else { continue }
                order.received += event.lines.reduce(0) { $0 + $1.quantity }
                order.firstReceipt = min(order.firstReceipt ?? at, at)
                orders[event.document] = order
            default:
                continue
            }
        }
        var leadTimes: [String: Int64] = [:]
        for supplier in Set(orders.values.map(\.supplier)) {
            if let days = try StockroomStore.supplier(supplier, db: db)?.fields[.leadTimeDays]?.int {
                leadTimes[supplier] = days
            }
        }
        struct Performance {
            var orders = 0, received = 0, onTime = 0, judged = 0
            var ordered: Int64 = 0, units: Int64 = 0
            var leadDays: [Double] = []
        }
        var bySupplier: [String: Performance] = [:]
        for order in orders.values {
            let day = Int64(order.created / 86_400_000)
            guard (query.from...query.to).contains(day) else { continue }
            if let location = query.location, order.location != location, !order.location.hasPrefix(location + "/") {
                continue
            }
            var entry = bySupplier[order.supplier, default: Performance()]
            entry.orders += 1
            entry.ordered += order.ordered
            entry.units += min(order.received, order.ordered)
            if let first = order.firstReceipt {
                entry.received += 1
                let days = Double(first - min(first, order.created)) / 86_400_000
                entry.leadDays.append(days)
                if let promised = leadTimes[order.supplier] {
                    entry.judged += 1
                    if days <= Double(promised) + 0.5 { entry.onTime += 1 }
                }
            }
            bySupplier[order.supplier] = entry
        }
        let rows = bySupplier.sorted { $0.key < $1.key }.map { supplier, entry -> [ReportTable.Cell] in
            let sorted = entry.leadDays.sorted()
            let median = sorted.isEmpty ? nil : sorted[sorted.count / 2]
            return [
                .text(supplier), .integer(Int64(entry.orders)), .integer(Int64(entry.received)),
                .integer(entry.ordered), .integer(entry.units),
                entry.ordered > 0 ? .ratio(Double(entry.units) / Double(entry.ordered)) : .none,
                median.map { .ratio($0) } ?? .none,
                leadTimes[supplier].map { .integer($0) } ?? .none,
                entry.judged > 0 ? .ratio(Double(entry.onTime) / Double(entry.judged)) : .none,
            ]
        }
        var result = table(
            [
                .init("supplier", .text), .init("purchase_orders", .integer, summed: true),
                .init("orders_received", .integer, summed: true), .init("units_ordered", .integer, summed: true),
                .init("units_received", .integer, summed: true), .init("fill_rate", .ratio),
                .init("median_lead_days", .ratio), .init("promised_lead_days", .integer), .init("on_time_rate", .ratio),
            ], rows)
        result.notes = [
            "Purchase orders created in the period. fill_rate = units received (up to what was ordered) / units ordered; lead time from creation to the first receipt; on time when that is within the supplier's lead_time_days."
        ]
        return result
    }
}

extension StockroomStore {
    /// For the bench: fills the daily ledger (`cell_days` and `location_days`) with a
    /// synthetic year of a hub, without ops, to time reports at chain scale. Seeded.
    @_spi(Bench)
    public func loadSyntheticLedgerForBench(
        items: Int, locations: Int, firstDay: Int64, lastDay: Int64, density: Double, seed: UInt64
    ) async throws -> Int {
        var total = 0
        for location in 0..<locations {
            let name = "store-\(location + 1)"
            total += try await groupWriter.submit { db, _ -> Int in
                var random = SplitMix64(seed: seed &+ UInt64(location))
                var rows = 0
                let cell = try db.makeStatement(
                    sql: """
                        INSERT INTO cell_days (day, location, sku, sold, received, net, priced_units, priced_cents,
                                               received_costed, received_cost)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                var byDay: [Int64: (sold: Int64, received: Int64, cents: Int64, cost: Int64)] = [:]
                for item in 0..<items {
                    let sku = String(format: "SKU-%06d", item)
                    var day = firstDay
                    while day <= lastDay {
                        defer { day += 1 }
                        guard Double(random.next() >> 11) / Double(1 << 53) < density else { continue }
                        let sold = Int64(1 + random.next() % 4)
                        let received = random.next() % 7 == 0 ? Int64(10 + random.next() % 20) : 0
                        let price = Int64(100 + item % 900)
                        try cell.execute(arguments: [
                            day, name, sku, sold, received, received - sold, sold, sold * price, received,
                            received * price / 2,
                        ])
                        var entry = byDay[day] ?? (0, 0, 0, 0)
                        entry.sold += sold
                        entry.received += received
                        entry.cents += sold * price
                        entry.cost += received * price / 2
                        byDay[day] = entry
                        rows += 1
                    }
                }
                for (day, entry) in byDay {
                    try db.execute(
                        sql: """
                            INSERT INTO location_days (day, location, sold, received, net, priced_units, priced_cents,
                                                       received_costed, received_cost)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            day, name, entry.sold, entry.received, entry.received - entry.sold, entry.sold,
                            entry.cents, entry.received, entry.cost,
                        ])
                }
                return rows
            }
        }
        try await groupWriter.submit { db, _ in
            for item in 0..<items {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO items (sku, alive, name, category, price_cents) VALUES (?, 1, ?, ?, ?)",
                    arguments: [
                        String(format: "SKU-%06d", item), "Item \(item)", "Category \(item % 12)", 100 + item % 900,
                    ])
            }
        }
        return total
    }
}
