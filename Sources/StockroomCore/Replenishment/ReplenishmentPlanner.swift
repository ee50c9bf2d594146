/// Turns reorder rules and cell states into suggestions (sync-protocol section 11.6).
///
/// Pure and deterministic: the same input gives the same suggestions in the same order.
/// Projected stock counts open purchase orders (incoming) and shipped transfers (in
/// transit), and the caller adds what draft documents already hold, so a suggestion never
/// repeats one that is on its way or drafted. A location's need is met first from
/// locations holding more of the item than their own order-up-to level (largest surplus
/// first), then bought.
public enum ReplenishmentPlanner {
    public struct Cell: Sendable {
        public var key: StockKey
        /// Nil for a cell without a rule: it can give surplus only on a transfer route.
        public var rule: ReorderRule?
        public var states: StockStates
        /// Units sold at the cell in the last ``DaysOfCover/windowDays`` days.
        public var unitsSold: Int64
        /// Units on draft purchase orders and draft transfers to this cell.
        public var drafted: Int64
        /// The cell's demand forecast, when one was fitted (section 12.3): it replaces the
        /// 28-day sales rate.
        public var forecast: DemandEstimate?

        public init(
            key: StockKey, rule: ReorderRule?, states: StockStates, unitsSold: Int64 = 0, drafted: Int64 = 0,
            forecast: DemandEstimate? = nil
        ) {
            self.key = key
            self.rule = rule
            self.states = states
            self.unitsSold = unitsSold
            self.drafted = drafted
            self.forecast = forecast
        }
    }

    /// A forecast as the planner uses it: expected units a day, the standard deviation of
    /// a day's demand around it, and the model that made it.
    public struct DemandEstimate: Hashable, Sendable {
        public var daily: Double
        public var sigma: Double
        public var model: String

        public init(daily: Double, sigma: Double, model: String) {
            self.daily = daily
            self.sigma = sigma
            self.model = model
        }
    }

    public struct SupplierTerms: Sendable {
        public var leadDays: Int64
        public var minimumOrder: Int64
        public var packSize: Int64
        /// Per SKU, the supplier's pack size for that item (overrides `packSize`).
        public var itemPackSize: [String: Int64]
        public var active: Bool

        public init(
            leadDays: Int64 = 0, minimumOrder: Int64 = 0, packSize: Int64 = 1, itemPackSize: [String: Int64] = [:],
            active: Bool = true
        ) {
            self.leadDays = leadDays
            self.minimumOrder = minimumOrder
            self.packSize = packSize
            self.itemPackSize = itemPackSize
            self.active = active
        }
    }

    public enum Action: Hashable, Sendable {
        /// Buy from the supplier; nil when the rule names none (the buyer must choose).
        case purchase(supplier: String?)
        case transfer(from: String)
    }

    public struct Suggestion: Hashable, Sendable {
        public var key: StockKey
        public var action: Action
        public var quantity: Int64
        /// Projected + drafted − lead-time demand.
        public var position: Int64
        public var reorderPoint: Int64
        public var orderUpTo: Int64
        /// What ERPNext's rule would order, for comparison.
        public var erpnextQuantity: Int64
        /// Whether the rule turns this into a draft by itself.
        public var automatic: Bool
        /// The arithmetic, in words a buyer can check.
        public var arithmetic: [String]
        /// The other locations whose data this suggestion used (a transfer's source).
        public var sources: [String]
        /// The forecast the lead-time demand came from, if any.
        public var forecast: DemandEstimate?
    }

    public static func plan(
        _ cells: [Cell], suppliers: [String: SupplierTerms], now: UInt64
    ) -> [Suggestion] {
        // One SKU at a time: a need is met from the same SKU's other locations only, so
        // each group's lookups are in a handful of cells (a chain's locations), not in a
        // table of every cell.
        var groups: [String: [Int]] = [:]
        for (index, cell) in cells.enumerated() { groups[cell.key.sku, default: []].append(index) }
        var suggestions: [Suggestion] = []
        for sku in groups.keys.sorted() {
            let group = groups[sku]!.sorted { cells[$0].key.location < cells[$1].key.location }
            plan(group.map { cells[$0] }, suppliers: suppliers, now: now, into: &suggestions)
        }
        return suggestions
    }

    /// The cells of one SKU, sorted by location.
    static func plan(
        _ cells: [Cell], suppliers: [String: SupplierTerms], now: UInt64, into suggestions: inout [Suggestion]
    ) {
        // What each location can give: what it has available above its own order-up-to
        // level (its own need comes first). Spent as transfers are suggested.
        var surplus = cells.map { cell -> Int64 in
            guard let rule = cell.rule else { return 0 }
            return max(0, StockMerge.sum(cell.states.available, -StockMerge.sum(rule.max, rule.safety)))
        }
        for (index, cell) in cells.enumerated() {
            guard let rule = cell.rule, (rule.snoozedUntil ?? 0) <= now else { continue }
            let terms = rule.supplier.flatMap { suppliers[$0] }
            let leadDays = rule.leadDays ?? terms?.leadDays ?? 0
            let rate = cell.forecast?.daily ?? DaysOfCover.dailyRate(unitsSold: cell.unitsSold)
            let demand = ReorderQuantity.leadTimeDemand(dailyRate: rate, leadDays: leadDays)
            let states = cell.states
            let position = StockMerge.sum(StockMerge.sum(states.projected, cell.drafted), -demand)
            var reorderPoint = StockMerge.sum(rule.min, rule.safety)
            var pointText = "reorder point \(reorderPoint) (min \(rule.min) + safety \(rule.safety))"
            // With a service level and a forecast, the reorder point is lead-time demand plus
            // safety stock; the position already has the demand taken off, so what it is
            // compared with is the safety stock (plus the rule's fixed safety).
            if let service = rule.servicePerMille, let forecast = cell.forecast {
                let safetyStock = ReorderQuantity.safetyStock(
                    sigmaPerDay: forecast.sigma, leadDays: leadDays, servicePerMille: service)
                reorderPoint = StockMerge.sum(safetyStock, rule.safety)
                pointText =
                    "reorder point = lead-time demand \(demand) + safety stock \(safetyStock) (z \(formatRate(ReorderQuantity.z(servicePerMille: service))) for \(Double(service) / 10)% × σ \(formatRate(forecast.sigma))/day × √\(leadDays) days) + safety \(rule.safety); position is net of the demand, so it must stay above \(reorderPoint)"
            }
            let orderUpTo = StockMerge.sum(reorderPoint, StockMerge.sum(rule.max, -rule.min))
            var need = ReorderQuantity.odoo(
                position: position, reorderPoint: reorderPoint, orderUpTo: orderUpTo, multiple: rule.multiple)
            guard need > 0 else { continue }
            let erpnext = ReorderQuantity.erpnext(
                projected: position, level: reorderPoint, reorderQty: StockMerge.sum(rule.max, -rule.min))
            var lines = [
                "projected \(states.projected) = on hand \(states.onHand) − committed \(states.committed) − held \(states.held) + incoming \(states.incoming) + in transit \(states.inTransit)",
                "position \(position) = projected \(states.projected) + drafted \(cell.drafted) − lead-time demand \(demand) (\(formatRate(rate))/day × \(leadDays) days, \(cell.forecast.map { "forecast by \($0.model)" } ?? "sales of the last \(DaysOfCover.windowDays) days"))",
                "position \(position) < \(pointText)",
                "order up to \(orderUpTo) (reorder point + max \(rule.max) − min \(rule.min)): \(orderUpTo) − \(position) = \(StockMerge.sum(orderUpTo, -position)), rounded up to a multiple of \(rule.multiple): \(need)",
            ]
            func suggest(_ action: Action, _ quantity: Int64, _ extra: [String], sources: [String] = []) {
                suggestions.append(
                    Suggestion(
                        key: cell.key, action: action, quantity: quantity, position: position,
                        reorderPoint: reorderPoint, orderUpTo: orderUpTo, erpnextQuantity: erpnext,
                        automatic: rule.automatic, arithmetic: lines + extra, sources: sources, forecast: cell.forecast)
                )
            }
            switch rule.route {
            case .transfer(let from):
                let sourceCell = cells.first { $0.key.location == from }
                // A source gives what it has available above its own reorder point.
                let keep = sourceCell?.rule.map { StockMerge.sum($0.min, $0.safety) } ?? 0
                let spare = max(0, StockMerge.sum(sourceCell?.states.available ?? 0, -keep))
                let moved = min(need, spare)
                let note =
                    "route transfer from \(from): it has \(sourceCell?.states.available ?? 0) available and keeps \(keep); transfer \(moved)"
                    + (moved < need ? " (\(need - moved) short: no other source on this route)" : "")
                if moved > 0 { suggest(.transfer(from: from), moved, [note], sources: [from]) }
            case .buy:
                // Overstocked locations first, largest surplus first, then by name (the
                // cells are in location order, and the sort is stable).
                let donors = cells.indices.filter { $0 != index && surplus[$0] > 0 }.sorted {
                    surplus[$0] != surplus[$1] ? surplus[$0] > surplus[$1] : $0 < $1
                }
                for donor in donors where need > 0 {
                    let (location, spare) = (cells[donor].key.location, surplus[donor])
                    let moved = min(need, spare)
                    surplus[donor] = spare - moved
                    need -= moved
                    suggest(
                        .transfer(from: location), moved,
                        ["\(location) holds \(spare) above its order-up-to level: transfer \(moved) from it first"],
                        sources: [location])
                }
                guard need > 0 else { continue }
                var extra: [String] = []
                var quantity = need
                if let terms {
                    let pack = terms.itemPackSize[cell.key.sku] ?? terms.packSize
                    quantity = ReorderQuantity.supplierQuantity(need, minimumOrder: terms.minimumOrder, packSize: pack)
                    extra.append(
                        "buy \(need) from \(rule.supplier ?? ""): minimum order \(terms.minimumOrder), pack of \(pack): \(quantity)"
                    )
                    if !terms.active { extra.append("supplier \(rule.supplier ?? "") is inactive: choose another") }
                } else {
                    extra.append(
                        rule.supplier.map { "supplier \($0) is unknown here: buy \(need)" }
                            ?? "no supplier on the rule: buy \(need) from a supplier you choose")
                }
                lines.append(contentsOf: extra)
                suggest(.purchase(supplier: terms == nil ? nil : rule.supplier), quantity, [])
            }
        }
    }

    static func formatRate(_ rate: Double) -> String {
        let hundredths = Int64((rate * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
