public import Foundation
import GRDB
public import StockroomCore

/// Stock of one location, or of the whole chain, in figures the dashboard's tiles show.
public struct InventorySummary: Hashable, Sendable {
    public var skus: Int64
    /// At a location: live items below their low-stock threshold but not out. For the
    /// chain: cells (item at a location) so.
    public var low: Int64
    /// At a location: live items with nothing on hand (0 or less). For the chain: cells
    /// that held stock and are at 0 or less (an item a store never carried is not out there).
    public var out: Int64
}

/// Which cells a stock listing shows.
public enum StockFilter: String, CaseIterable, Sendable {
    case all
    /// On hand above zero and not below the threshold.
    case inStock = "in"
    case low
    case out
}

/// How a stock listing is ordered.
public enum StockSort: String, CaseIterable, Sendable {
    case sku, name, category
    case onHand = "on_hand"
    case available

    var expression: String {
        switch self {
        case .sku: "i.sku"
        case .name: "i.name COLLATE NOCASE"
        case .category: "i.category COLLATE NOCASE"
        case .onHand: "coalesce(s.quantity, 0)"
        case .available: "coalesce(s.quantity, 0) - coalesce(u.quantity, 0)"
        }
    }
}

/// A stock listing page by offset, with the total the filters match.
public struct StockListing: Sendable {
    public var levels: [StockLevel]
    public var total: Int64
}

/// One day of sales at a location (business time, UTC days).
public struct DailySales: Hashable, Sendable {
    public var day: Int64
    public var units: Int64
    public var cents: Int64

    public init(day: Int64, units: Int64, cents: Int64) {
        self.day = day
        self.units = units
        self.cents = cents
    }
}

/// An item whose stock will last the fewest days at the forecast demand.
public struct CoverRow: Hashable, Sendable {
    public var sku: String
    public var name: String
    public var location: String
    public var available: Int64
    public var dailyDemand: Double
    public var days: Double
}

extension StockroomStore {
    /// Every location's stock of one item, including the states of cells that only hold
    /// documents. Throws `unknownCode` for no such item.
    public func stockAtEveryLocation(sku: String) async throws -> [StockLevel] {
        let locations = try await read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT location FROM stock WHERE sku = ?1 UNION SELECT location FROM document_cells WHERE sku = ?1
                    UNION SELECT ?2 ORDER BY 1
                    """, arguments: [sku, self.homeLocation])
        }
        var levels: [StockLevel] = []
        for location in locations { levels.append(try await stock(code: sku, location: location)) }
        return levels
    }

    /// The stored demand forecast of a cell, if the background refresh made one.
    public func forecastEstimate(_ key: StockKey) async throws -> ReplenishmentPlanner.DemandEstimate? {
        try await read { db in try Self.storedEstimate(key, db: db) }
    }

    /// Tiles of the overview: live SKUs, low and out cells. Reads the items' index and the
    /// location's stock cells, not every item; `nil` is the whole chain (every cell).
    public func inventorySummary(location: String?) async throws -> InventorySummary {
        try await read { db in
            let skus = try Self.liveItemCount(db)
            guard let location else {
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT coalesce(sum(i.threshold IS NOT NULL AND s.quantity > 0 AND s.quantity < i.threshold), 0),
                               coalesce(sum(s.quantity <= 0), 0)
                        FROM stock s JOIN items i ON i.sku = s.sku WHERE i.alive = 1
                        """)
                return InventorySummary(skus: skus, low: row?[0] ?? 0, out: row?[1] ?? 0)
            }
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*),
                           coalesce(sum(i.threshold IS NOT NULL AND s.quantity < i.threshold), 0)
                    FROM stock s JOIN items i ON i.sku = s.sku
                    WHERE s.location = ? AND s.quantity > 0 AND i.alive = 1
                    """, arguments: [location])
            let inStock: Int64 = row?[0] ?? 0
            return InventorySummary(skus: skus, low: row?[1] ?? 0, out: skus - inStock)
        }
    }

    /// A page of stock at a location by offset, sorted and filtered, with the number of
    /// rows the filters match (the dashboard's inventory list). `query.text` also matches a
    /// barcode exactly.
    public func stockListing(
        _ query: StockQuery, filter: StockFilter, sort: StockSort, descending: Bool, offset: Int
    ) async throws -> StockListing {
        let now = wallMillis()
        if query.everyLocation && (filter != .all || sort == .onHand || sort == .available) {
            throw StoreError.invalid(
                field: "stock", message: "filters by stock and sorts by quantity need one location; choose a store")
        }
        return try await read { db in
            var conditions = ["i.alive = 1"]
            var arguments: [any DatabaseValueConvertible] = []
            if let category = query.category {
                conditions.append("i.category = ?")
                arguments.append(category)
            }
            if let text = query.text, !text.isEmpty {
                conditions.append(Self.searchCondition(text, arguments: &arguments))
            }
            // Only the joins the filter and the order need: at a million items, each one
            // read for every row is most of the time.
            var joins = ""
            if filter != .all || sort == .onHand || sort == .available {
                joins += " LEFT JOIN stock s ON s.sku = i.sku AND s.location = ?1"
            }
            if sort == .available { joins += " LEFT JOIN unavailable u ON u.sku = i.sku AND u.location = ?1" }
            switch filter {
            case .all: break
            case .inStock:
                conditions.append(
                    "coalesce(s.quantity, 0) > 0 AND (i.threshold IS NULL OR s.quantity >= i.threshold)")
            case .low:
                conditions.append(
                    "coalesce(s.quantity, 0) > 0 AND i.threshold IS NOT NULL AND s.quantity < i.threshold")
            case .out: conditions.append("coalesce(s.quantity, 0) <= 0")
            }
            let condition = conditions.joined(separator: " AND ")
            // ?1 is the location in every statement, used or not, and comes first in the text
            // (SQLite numbers each plain `?` after the highest seen so far).
            let values: [(any DatabaseValueConvertible)?] = [query.location] + arguments.map { $0 }
            let locationFirst = StatementArguments(values)
            let order = "\(sort.expression) \(descending ? "DESC" : "ASC"), i.sku \(descending ? "DESC" : "ASC")"
            // With a search, one pass gives the page and the total (the matches are few and
            // costly to find); without, the count reads the live-items index alone.
            var total: Int64 = 0
            var skus: [String] = []
            if let text = query.text, text.count >= 3, query.category == nil, filter == .all, sort == .sku {
                // The common search (text only, by SKU): the matches' SKUs come from the
                // small item_keys table and are checked against the few deleted items,
                // never reading an item row; 4x faster at a million items.
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT m.sku, count(*) OVER () FROM (
                            SELECT k.sku FROM item_keys k
                            WHERE k.id IN (SELECT rowid FROM item_search WHERE item_search MATCH ?)
                            UNION SELECT sku FROM barcodes WHERE code = ?
                            UNION SELECT sku FROM items WHERE sku = ?) m
                        WHERE m.sku NOT IN (SELECT sku FROM items INDEXED BY items_deleted WHERE alive = 0)
                        ORDER BY m.sku \(descending ? "DESC" : "ASC") LIMIT ? OFFSET ?
                        """,
                    arguments: [
                        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"", GTIN.canonical(text) ?? text,
                        text,
                        query.limit, offset,
                    ])
                skus = rows.map { $0[0] }
                total = rows.first?[1] ?? 0
                if rows.isEmpty && offset > 0 {
                    var countArguments: [any DatabaseValueConvertible] = []
                    let condition = Self.searchCondition(text, arguments: &countArguments)
                    total =
                        try Int64.fetchOne(
                            db, sql: "SELECT count(*) FROM items i WHERE i.alive = 1 AND \(condition)",
                            arguments: StatementArguments(countArguments)) ?? 0
                }
            } else if query.text?.isEmpty == false {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT i.sku, count(*) OVER () FROM items i\(joins) WHERE ?1 = ?1 AND \(condition)
                        ORDER BY \(order) LIMIT ? OFFSET ?
                        """, arguments: StatementArguments(values + [query.limit, offset]))
                skus = rows.map { $0[0] }
                total = rows.first?[1] ?? 0
                if rows.isEmpty && offset > 0 {
                    total =
                        try Int64.fetchOne(
                            db, sql: "SELECT count(*) FROM items i\(joins) WHERE ?1 = ?1 AND \(condition)",
                            arguments: locationFirst) ?? 0
                }
            } else {
                total =
                    condition == "i.alive = 1" && joins.isEmpty
                    ? try Self.liveItemCount(db)
                    : try Int64.fetchOne(
                        db, sql: "SELECT count(*) FROM items i\(joins) WHERE ?1 = ?1 AND \(condition)",
                        arguments: locationFirst) ?? 0
                skus = try String.fetchAll(
                    db,
                    sql:
                        "SELECT i.sku FROM items i\(joins) WHERE ?1 = ?1 AND \(condition) ORDER BY \(order) LIMIT ? OFFSET ?",
                    arguments: StatementArguments(values + [query.limit, offset]))
            }
            guard !skus.isEmpty else { return StockListing(levels: [], total: total) }
            if query.everyLocation {
                return StockListing(levels: try Self.chainStockLevels(skus: skus, now: now, db: db), total: total)
            }
            let levels = try Self.stockLevels(
                where: "i.sku IN (\(skus.map { _ in "?" }.joined(separator: ",")))", arguments: skus,
                location: query.location, limit: skus.count, now: now, db: db)
            let bySKU = Dictionary(uniqueKeysWithValues: levels.map { ($0.sku, $0) })
            return StockListing(levels: skus.compactMap { bySKU[$0] }, total: total)
        }
    }

    /// Each item's states summed over every location, in the order of `skus`: the inventory
    /// list for the whole chain. The location of each level is `*`; its last count is nil
    /// (counts are per cell). Reads each table by its SKU index, a page of items at a time.
    static func chainStockLevels(skus: [String], now: UInt64, db: Database) throws -> [StockLevel] {
        let marks = skus.map { _ in "?" }.joined(separator: ",")
        func sums(_ sql: String, _ extra: [any DatabaseValueConvertible] = []) throws -> [String: Row] {
            var result: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(extra + skus)) {
                result[row[0]] = row
            }
            return result
        }
        let stock = try sums(
            "SELECT sku, sum(quantity), max(updated_hlc) FROM stock WHERE sku IN (\(marks)) GROUP BY sku")
        let unavailable = try sums("SELECT sku, sum(quantity) FROM unavailable WHERE sku IN (\(marks)) GROUP BY sku")
        let costs = try sums(
            "SELECT sku, sum(units), sum(total_cents) FROM cell_costs WHERE sku IN (\(marks)) GROUP BY sku")
        let documents = try sums(
            """
            SELECT sku, sum(CASE WHEN state = 'committed' THEN quantity ELSE 0 END),
                   sum(CASE WHEN state = 'held' AND expires_at > ? THEN quantity ELSE 0 END),
                   sum(CASE WHEN state = 'incoming' THEN quantity ELSE 0 END),
                   sum(CASE WHEN state = 'in_transit' THEN quantity ELSE 0 END)
            FROM document_cells WHERE sku IN (\(marks)) GROUP BY sku
            """, [Int64(now)])
        let items = try sums("SELECT sku, name, category, threshold FROM items WHERE sku IN (\(marks))")
        return skus.compactMap { sku in
            guard let item = items[sku] else { return nil }
            let onHand: Int64 = stock[sku]?[1] ?? 0
            let documents = documents[sku]
            return StockLevel(
                sku: sku, name: item[1], category: item[2], location: "*", quantity: onHand, threshold: item[3],
                updatedHLC: (stock[sku]?[2] as Int64?).map(HLC.init(packed:)), lastCount: nil,
                states: StockStates(
                    onHand: onHand, committed: documents?[1] ?? 0, held: documents?[2] ?? 0,
                    unavailable: unavailable[sku]?[1] ?? 0, incoming: documents?[3] ?? 0,
                    inTransit: documents?[4] ?? 0),
                cost: CellCost(units: costs[sku]?[1] ?? 0, totalCents: costs[sku]?[2] ?? 0))
        }
    }

    /// The search of the inventory list: any part of the SKU or name through the trigram
    /// index (3 characters or more), else the start of the SKU; or a barcode, exactly (as
    /// scanned: a GTIN is matched in its canonical form, like a scan's).
    static func searchCondition(_ text: String, arguments: inout [any DatabaseValueConvertible]) -> String {
        if text.count >= 3 {
            arguments += [
                "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"", text, GTIN.canonical(text) ?? text,
            ]
            return """
                (i.sku IN (SELECT k.sku FROM item_keys k WHERE k.id IN
                    (SELECT rowid FROM item_search WHERE item_search MATCH ?))
                 OR i.sku = ? OR i.sku IN (SELECT sku FROM barcodes WHERE code = ?))
                """
        }
        arguments += [escapeLike(text) + "%", GTIN.canonical(text) ?? text]
        return "(i.sku LIKE ? ESCAPE '\\' OR i.sku IN (SELECT sku FROM barcodes WHERE code = ?))"
    }

    /// Sales per business day at a location (`nil`: every location) for the `days` days up
    /// to `today` (days since 1970), zero-filled.
    public func dailySales(location: String?, today: Int64, days: Int) async throws -> [DailySales] {
        try await read { db in
            let first = today - Int64(days) + 1
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT day, sum(sold - returned), sum(priced_cents) FROM location_days
                    WHERE \(location == nil ? "" : "location = ? AND ")day BETWEEN ? AND ? GROUP BY day ORDER BY day
                    """, arguments: StatementArguments((location.map { [$0] } ?? []) + [first, today]))
            var byDay: [Int64: DailySales] = [:]
            for row in rows { byDay[row[0]] = DailySales(day: row[0], units: row[1], cents: row[2]) }
            return (first...today).map { byDay[$0] ?? DailySales(day: $0, units: 0, cents: 0) }
        }
    }

    /// The cells that run out soonest at the forecast demand (forecasts table), fewest days
    /// of cover first, at a location (`nil`: every location). Cells without a forecast or
    /// demand are not listed.
    public func lowestCover(location: String?, limit: Int) async throws -> [CoverRow] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT i.sku, i.name, coalesce(s.quantity, 0) - coalesce(u.quantity, 0) AS available, f.level,
                           f.location
                    FROM forecasts f JOIN items i ON i.sku = f.sku AND i.alive = 1
                    LEFT JOIN stock s ON s.sku = f.sku AND s.location = f.location
                    LEFT JOIN unavailable u ON u.sku = f.sku AND u.location = f.location
                    WHERE \(location == nil ? "" : "f.location = ? AND ")f.level > 0
                    ORDER BY max(available, 0) / f.level, i.sku LIMIT ?
                    """, arguments: StatementArguments((location.map { [$0] } ?? []) + [limit])
            ).map { row in
                let available: Int64 = row[2]
                let level: Double = row[3]
                return CoverRow(
                    sku: row[0], name: row[1], location: row[4], available: available, dailyDemand: level,
                    days: DaysOfCover.days(available: available, dailyForecast: level) ?? 0)
            }
        }
    }

    /// Units on hand per SKU at a location (`nil`: summed over every location), for the
    /// cells holding any.
    public func onHandByItem(location: String?) async throws -> [String: Int64] {
        try await read { db in
            var result: [String: Int64] = [:]
            let rows =
                try location.map {
                    try Row.fetchCursor(
                        db, sql: "SELECT sku, quantity FROM stock WHERE location = ? AND quantity > 0", arguments: [$0])
                }
                ?? Row.fetchCursor(db, sql: "SELECT sku, sum(quantity) FROM stock WHERE quantity > 0 GROUP BY sku")
            while let row = try rows.next() { result[row[0]] = row[1] }
            return result
        }
    }

    /// Live items: all items (counted from the smallest index) less the deleted ones
    /// (`items_deleted`, a partial index of the few). 20 ms at a million items, where
    /// `count(*) … WHERE alive = 1` reads every row.
    static func liveItemCount(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db, sql: "SELECT (SELECT count(*) FROM items) - (SELECT count(*) FROM items WHERE alive = 0)") ?? 0
    }

    /// Conflicts open now (not closed by themselves nor resolved by a person), at a
    /// location (`nil`: everywhere).
    public func openConflictCount(location: String? = nil) async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM conflicts c \(Self.resolutionJoin)
                    WHERE c.resolved_hlc IS NULL AND r.value IS NULL AND (?1 IS NULL OR c.location = ?1)
                    """, arguments: [location]
            ) ?? 0
        }
    }

    /// The categories of live items, for the inventory filter.
    public func categories() async throws -> [String] {
        try await read { db in
            try String.fetchAll(
                db, sql: "SELECT DISTINCT category FROM items WHERE alive = 1 AND category != '' ORDER BY category")
        }
    }
}
