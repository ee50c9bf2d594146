import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// The dashboard's pages over the store's own methods: overview, inventory, item.
extension WebSite {
    func registerPages(
        reads: RouterGroup<StockroomRequestContext>, catalogue: RouterGroup<StockroomRequestContext>,
        documents: RouterGroup<StockroomRequestContext>
    ) {
        reads.get("/") { request, context in try await overview(request, context) }
        reads.get("inventory") { request, context in try await inventory(request, context) }
        reads.get("partials/sync-badge") { _, _ -> Response in
            html(templates.render(["page": ["sync": try await syncBadge()]], withTemplate: "sync-badge") ?? "")
        }
        catalogue.get("items/new") { request, context in
            try await itemForm(request, context, sku: nil, form: [:], version: "", error: nil, conflict: nil)
        }
        catalogue.post("items/new") { request, context in try await saveItem(request, context, sku: nil) }
        reads.get("items/:sku") { request, context in try await itemPage(request, context) }
        catalogue.get("items/:sku/edit") { request, context in
            let item = try await store.item(sku: try context.pathParameter("sku"))
            return try await itemForm(
                request, context, sku: item.sku, form: Self.formValues(item), version: "\(item.updatedHLC.packed)",
                error: nil, conflict: nil)
        }
        catalogue.post("items/:sku/edit") { request, context in
            try await saveItem(request, context, sku: try context.pathParameter("sku"))
        }
        documents.post("items/:sku/adjust") { request, context in try await move(request, context, count: false) }
        documents.post("items/:sku/count") { request, context in try await move(request, context, count: true) }
    }

    // MARK: Overview

    func overview(_ request: Request, _ context: StockroomRequestContext) async throws -> Response {
        let scope = scope(of: request)
        let location = scope.location
        let days =
            [14, 30, 90].contains(Int(request.uri.queryParameters["days"] ?? "") ?? 0)
            ? Int(request.uri.queryParameters["days"]!)! : 14
        let today = Int64(store.wallClockMillis() / 86_400_000)
        let store = store
        let averageCosts = averageCosts
        async let figures = tileFigures.value(location ?? "*") {
            async let summary = store.inventorySummary(location: location)
            async let onHand = store.onHandByItem(location: location)
            let units = try await onHand
            let costs = averageCosts.costs(location: location)
            let value = costs.map { costs in
                units.reduce(Int64(0)) { $0 &+ AverageCosts.value(onHand: $1.value, average: costs[$1.key]) }
            }
            return TileFigures(summary: try await summary, stockValueCents: value, itemsInStock: units.count)
        }
        async let openConflicts = store.openConflictCount(location: scope.chosen)
        async let alerts = store.alertEpisodes(open: true, location: location, limit: 1000)
        async let sales = store.dailySales(location: location, today: today, days: max(days, 8))
        async let cover = store.lowestCover(location: location, limit: 10)
        var recentQuery = Self.recentQuery
        recentQuery.origin = scope.chosen  // on the hub, the movements that store recorded
        async let recent = store.ops(recentQuery)
        let (tileFigures, conflictCount, openAlerts, daily, lowest, movements) = try await (
            figures, openConflicts, alerts, sales, cover, recent
        )
        let inventory = tileFigures.summary
        let todaySales = daily.last ?? DailySales(day: today, units: 0, cents: 0)
        let lastWeek = daily.count >= 8 ? daily[daily.count - 8] : DailySales(day: today - 7, units: 0, cents: 0)
        let sync = try await syncBadge()
        let tiles: [[String: Any]] = [
            tile("SKUs", Self.number(inventory.skus), href: scope.href("/inventory")),
            tile(
                "Stock value", tileFigures.stockValueCents.map(Money.text) ?? "computing…",
                href: scope.href("/reports/stock-value"),
                detail: "at average cost, \(Self.number(Int64(tileFigures.itemsInStock))) items in stock"),
            // For the chain, low and out count cells (an item at a store), and the list
            // behind them is the alerts page: the inventory filters need one store.
            tile(
                location == nil ? "Low stock (cells)" : "Low stock", Self.number(inventory.low),
                href: location == nil ? "/alerts" : scope.href("/inventory?stock=low"),
                tone: inventory.low > 0 ? "warn" : "good"),
            tile(
                location == nil ? "Out of stock (cells)" : "Out of stock", Self.number(inventory.out),
                href: location == nil ? "/alerts" : scope.href("/inventory?stock=out"),
                tone: inventory.out > 0 ? "bad" : "good"),
            tile(
                "Open conflicts", Self.number(conflictCount), href: scope.href("/conflicts"),
                tone: conflictCount > 0 ? "bad" : "good"),
            tile(
                "Open alerts", Self.number(Int64(openAlerts.count)), href: scope.href("/alerts"),
                tone: openAlerts.isEmpty ? "good" : "warn"),
            tile(
                "Sales today", Money.text(todaySales.cents), href: scope.href("/?days=14"),
                detail: "\(Self.change(todaySales.cents, from: lastWeek.cents)) vs last \(Self.weekday(today))",
                tone: "accent"),
            tile(
                "Sync", sync["text"] as? String ?? "", href: scope.href("/sync"),
                tone: sync["tone"] as? String ?? "good"),
        ]
        let shown = daily.suffix(days)
        let fields: [String: Any] = [
            "location": scope.label, "tiles": tiles,
            "chart": [
                "days": days,
                "periods": [14, 30, 90].map { period -> [String: Any] in
                    ["days": period, "active": period == days, "href": scope.href("/?days=\(period)")]
                },
                "labels": shown.map { ISODate.dateText(day: $0.day) }.joined(separator: ","),
                "values": shown.map { String($0.units) }.joined(separator: ","),
                "rows": shown.reversed().map {
                    ["day": ISODate.dateText(day: $0.day), "units": $0.units, "revenue": Money.text($0.cents)]
                },
            ],
            "hasCover": !lowest.isEmpty,
            "cover": lowest.map { row -> [String: Any] in
                [
                    "sku": row.sku,
                    "skuPath": Self.path(row.sku)
                        + PageScope(location: row.location, chosen: role == "hub" ? row.location : nil).href(""),
                    "name": row.name, "available": row.available, "where": location == nil ? row.location : "",
                    "daily": String(format: "%.1f", row.dailyDemand), "days": String(format: "%.1f", row.days),
                    "tone": row.days < 3 ? "bad" : row.days < 7 ? "warn" : "ok",
                ]
            },
            "movements": movements.items.compactMap(movementRow).prefix(20).map { $0 },
        ]
        return try await page("overview", fields, request: request, context: context, nav: "dashboard")
    }

    static let recentQuery: OpQuery = {
        var query = OpQuery()
        query.newestFirst = true
        query.limit = 200
        return query
    }()

    func tile(
        _ label: String, _ value: String, href: String, detail: String? = nil, tone: String = ""
    )
        -> [String: Any]
    {
        var tile: [String: Any] = ["label": label, "value": value, "href": href, "tone": tone]
        if let detail { tile["detail"] = detail }
        return tile
    }

    /// A stock movement as the tables show it; nil for ops that are not movements.
    func movementRow(_ logged: LoggedOp) -> [String: Any]? {
        let op = logged.op
        let what: String
        let quantity: String
        let sku: String
        switch op.payload {
        case .delta(let key, let change, let reason):
            what = Self.reasonLabel[reason] ?? reason.rawValue
            quantity = change > 0 ? "+\(change)" : "\(change)"
            sku = key.sku
        case .count(let key, let counted, _):
            what = "Count"
            quantity = "= \(counted)"
            sku = key.sku
        default: return nil
        }
        let millis = op.facts?.occurredAt ?? op.hlc.millis
        var who = op.actor
        if let device = op.device, !device.isEmpty { who += " · " + device }
        return [
            "sku": sku, "skuPath": Self.path(sku), "what": what, "quantity": quantity, "who": who,
            "when": Self.time(millis), "iso": ISODate.text(millis),
            "after": logged.resultQuantity.map { "\($0)" } ?? "",
        ]
    }

    static let reasonLabel: [StockReason: String] = [
        .sale: "Sale", .return: "Return", .receive: "Received", .adjust: "Correction", .damage: "Damaged",
        .transfer: "Transfer",
    ]

    // MARK: Inventory

    func inventory(_ request: Request, _ context: StockroomRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let scope = scope(of: request)
        // The hub's chain view sums each item over every location; filters by stock and
        // sorts by quantity need one location (summing a million items per page is not a
        // page), so there they are not offered.
        let chain = scope.location == nil
        let location = scope.location ?? "*"
        var query = StockQuery(location: scope.location ?? store.homeLocation)
        query.everyLocation = chain
        query.text = parameters["q"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        query.category = parameters["category"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        var filter = StockFilter(rawValue: String(parameters["stock"] ?? "all")) ?? .all
        var sort = StockSort(rawValue: String(parameters["sort"] ?? "sku")) ?? .sku
        let quantitySorts: Set<StockSort> = [.onHand, .available]
        let needsStore = chain && (filter != .all || quantitySorts.contains(sort))
        if chain {
            filter = .all
            if quantitySorts.contains(sort) { sort = .sku }
        }
        let descending = parameters["dir"] == "desc"
        let perPage = 50
        let pageNumber = max(1, min(Int(parameters["page"] ?? "1") ?? 1, 1_000_000))
        let csv = parameters["format"] == "csv"
        query.limit = csv ? 100_000 : perPage
        let listing = try await store.stockListing(
            query, filter: filter, sort: sort, descending: descending, offset: csv ? 0 : (pageNumber - 1) * perPage)
        let costs = averageCosts.costs(location: scope.location) ?? [:]
        func value(_ level: StockLevel) -> Int64 {
            AverageCosts.value(onHand: level.quantity, average: costs[level.sku] ?? level.cost.averageCents)
        }
        if csv { return inventoryCSV(listing, location: location, value: value) }

        func link(_ changes: [String: String]) -> String {
            var values: [(String, String)] = [
                ("q", query.text ?? ""), ("category", query.category ?? ""), ("stock", filter.rawValue),
                ("store", scope.chosen ?? ""), ("sort", sort.rawValue),
                ("dir", descending ? "desc" : "asc"), ("page", "\(pageNumber)"),
            ]
            for (key, value) in changes {
                if let index = values.firstIndex(where: { $0.0 == key }) {
                    values[index].1 = value
                } else {
                    values.append((key, value))
                }
            }
            let pairs = values.filter { !$0.1.isEmpty && !($0.0 == "page" && $0.1 == "1") }
                .filter {
                    !($0.0 == "stock" && $0.1 == "all") && !($0.0 == "sort" && $0.1 == "sku")
                        && !($0.0 == "dir" && $0.1 == "asc")
                }
            return "/inventory"
                + (pairs.isEmpty ? "" : "?" + pairs.map { "\($0.0)=\(Self.queryEscape($0.1))" }.joined(separator: "&"))
        }
        let pages = max(1, Int((listing.total + Int64(perPage) - 1) / Int64(perPage)))
        let columns: [(StockSort?, String, Bool)] = [
            (.sku, "SKU", false), (.name, "Name", false), (.category, "Category", false), (.onHand, "On hand", true),
            (.available, "Available", true), (nil, "Committed", true), (nil, "Held", true), (nil, "Unavailable", true),
            (nil, "Incoming", true), (nil, "In transit", true), (nil, "Value", true), (nil, "Status", false),
        ]
        let store = store
        let categories = try await categoryCache.value("all") { try await store.categories() }
        let first = listing.total == 0 ? 0 : (pageNumber - 1) * perPage + 1
        let fields: [String: Any] = [
            "location": scope.label, "store": scope.chosen ?? "", "q": query.text ?? "",
            "chain": chain,
            "needsStore": needsStore
                ? "Filters by stock and sorting by quantity need one store: choose one under Showing, at the top." : "",
            "sort": sort.rawValue, "dir": descending ? "desc" : "asc",
            "canEdit": Permission.catalogue.isGranted(to: context.principal!.role),
            "summary": listing.total == 0
                ? "No items match."
                : "Showing \(first)–\(first + listing.levels.count - 1) of \(Self.number(listing.total)) items",
            "csvHref": link(["format": "csv", "page": "1"]),
            "categories": categories.map { ["name": $0, "selected": $0 == query.category] },
            "filters": [("all", "All"), ("in", "In stock"), ("low", "Low"), ("out", "Out")].map {
                ["value": $0.0, "label": $0.1, "selected": $0.0 == filter.rawValue]
            },
            "columns": columns.map { column -> [String: Any] in
                var entry: [String: Any] = ["label": column.1, "numeric": column.2]
                if let key = column.0, !(chain && quantitySorts.contains(key)) {
                    let active = key == sort
                    entry["href"] = link([
                        "sort": key.rawValue, "dir": active && !descending ? "desc" : "asc", "page": "1",
                    ])
                    if active {
                        entry["sorted"] = descending ? "descending" : "ascending"
                        entry["arrow"] = descending ? "▼" : "▲"
                    }
                }
                return entry
            },
            "rows": listing.levels.map { level -> [String: Any] in
                let state = Self.stockState(level)
                return [
                    "sku": level.sku, "skuPath": scope.href(Self.path(level.sku)), "name": level.name,
                    "category": level.category,
                    "onHand": level.states.onHand, "available": level.states.available,
                    "committed": level.states.committed, "held": level.states.held,
                    "unavailable": level.states.unavailable, "incoming": level.states.incoming,
                    "inTransit": level.states.inTransit, "value": Money.text(value(level)),
                    "state": state.0, "stateLabel": state.1,
                ]
            },
            "pageNumber": pageNumber, "pages": pages,
            "prevHref": pageNumber > 1 ? link(["page": "\(pageNumber - 1)"]) : "",
            "nextHref": pageNumber < pages ? link(["page": "\(pageNumber + 1)"]) : "",
        ]
        return try await page("inventory", fields, request: request, context: context, nav: "inventory")
    }

    static func stockState(_ level: StockLevel) -> (String, String) {
        if level.quantity <= 0 { return ("out", "Out") }
        if level.belowThreshold { return ("low", "Low") }
        return ("in", "In stock")
    }

    /// The current view as CSV (every matching row, not just the page), with a TOTAL row.
    func inventoryCSV(_ listing: StockListing, location: String, value: (StockLevel) -> Int64) -> Response {
        let rows = listing.levels.map { level -> [ReportTable.Cell] in
            [
                .text(level.sku), .text(level.name), .text(level.category), .text(location),
                .integer(level.states.onHand), .integer(level.states.available), .integer(level.states.committed),
                .integer(level.states.held), .integer(level.states.unavailable), .integer(level.states.incoming),
                .integer(level.states.inTransit), .money(value(level)),
            ]
        }
        let table = ReportTable(
            name: "inventory", from: nil, to: Int64(store.wallClockMillis() / 86_400_000), location: location,
            columns: [
                .init("sku", .text), .init("name", .text), .init("category", .text), .init("location", .text),
                .init("on_hand", .integer, summed: true), .init("available", .integer, summed: true),
                .init("committed", .integer, summed: true), .init("held", .integer, summed: true),
                .init("unavailable", .integer, summed: true), .init("incoming", .integer, summed: true),
                .init("in_transit", .integer, summed: true), .init("value", .money, summed: true),
            ], rows: rows)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"inventory-\(location).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: table.csv)))
    }

    // MARK: Item

    func itemPage(
        _ request: Request, _ context: StockroomRequestContext, formError: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let item = try await store.item(sku: try context.pathParameter("sku"))
        let scope = scope(of: request)
        // One cell's sections (why, forecast, adjust) need a location: on the hub's chain
        // view the page lists every location and links each to its own view.
        let cell = scope.location
        let location = cell ?? "*"
        var historyQuery = OpQuery()
        historyQuery.sku = item.sku
        historyQuery.newestFirst = true
        historyQuery.limit = 200
        async let levels = store.stockAtEveryLocation(sku: item.sku)
        async let history = store.ops(historyQuery)
        async let explanation = store.explain(StockKey(sku: item.sku, location: location))
        async let estimate = store.forecastEstimate(StockKey(sku: item.sku, location: location))
        async let rule = store.setting(.reorderRule, StockKey(sku: item.sku, location: location).description)
        let (allLevels, ops, explained, forecast, reorder) = try await (levels, history, explanation, estimate, rule)
        let moves = ops.items.filter {
            switch $0.op.payload {
            case .delta(let key, _, _), .count(let key, _, _): cell == nil || key.location == location
            default: false
            }
        }
        let rows = moves.compactMap(movementRow)
        let chartPoints = moves.reversed().compactMap { logged -> (String, Int64)? in
            guard let after = logged.resultQuantity else { return nil }
            return (
                ISODate.dateText(day: Int64((logged.op.facts?.occurredAt ?? logged.op.hlc.millis) / 86_400_000)), after
            )
        }
        var levelRows: [[String: Any]] = []
        for level in allLevels {
            let average = averageCosts.costs(location: level.location)?[level.sku] ?? level.cost.averageCents
            levelRows.append([
                "location": level.location,
                "href": role == "hub"
                    ? PageScope(location: level.location, chosen: level.location).href(Self.path(item.sku)) : "",
                "onHand": level.states.onHand, "available": level.states.available,
                "committed": level.states.committed, "held": level.states.held,
                "unavailable": level.states.unavailable, "incoming": level.states.incoming,
                "inTransit": level.states.inTransit,
                "value": Money.text(AverageCosts.value(onHand: level.quantity, average: average)),
            ])
        }
        let here = allLevels.first { $0.location == location }
        let available = here?.states.available ?? 0
        var explainRows: [[String: Any]] = []
        if let count = explained.winningCount {
            explainRows.append([
                "id": count.op.description, "what": "Count by \(count.actor)", "effect": "= \(count.quantity)",
            ])
        }
        for movement in explained.onTop.suffix(20) {
            explainRows.append([
                "id": movement.op.description, "what": "\(movement.kind) by \(movement.actor)",
                "effect": movement.quantity > 0 ? "+\(movement.quantity)" : "\(movement.quantity)",
            ])
        }
        let fields: [String: Any] = [
            "location": scope.label, "cell": cell != nil, "scopeSuffix": scope.href(""),
            "item": [
                "sku": item.sku, "skuPath": Self.path(item.sku), "name": item.name, "category": item.category,
                "description": item.description, "price": item.priceCents.map(Money.text) ?? "",
                "barcodes": item.barcodes, "threshold": item.threshold.map { "\($0)" } ?? "none",
            ],
            "canEdit": Permission.catalogue.isGranted(to: context.principal!.role),
            "canMove": cell != nil && Permission.documents.isGranted(to: context.principal!.role),
            "formError": formError ?? "",
            "levels": levelRows,
            "history": [
                "rows": Array(rows.prefix(50)),
                "labels": chartPoints.map(\.0).joined(separator: ","),
                "values": chartPoints.map { "\($0.1)" }.joined(separator: ","),
            ],
            "explain": [
                "onHand": explained.onHand, "summary": explained.arithmetic.joined(separator: "; "),
                "rows": explainRows, "hasRows": !explainRows.isEmpty,
            ],
            "forecast": [
                "text": forecast.map { String(format: "%.1f a day (%@)", $0.daily, $0.model) }
                    ?? "none yet (fitted in the background from sales history)",
                "cover": forecast.flatMap { DaysOfCover.days(available: available, dailyForecast: $0.daily) }
                    .map { String(format: "%.1f days", $0) } ?? "not known",
            ],
            "rule": ["text": reorder?.value ?? "none: set one with PUT /v1/reorder-rules"],
        ]
        return try await page("item", fields, request: request, context: context, nav: "inventory", status: status)
    }

    /// An adjustment or a count from the item page, as a scan by the signed-in user (the
    /// same path as `POST /v1/scans`). The reason is required; for a count it is recorded
    /// as the device (`web:cycle-count`), since a count op carries no reason of its own.
    func move(_ request: Request, _ context: StockroomRequestContext, count: Bool) async throws -> Response {
        let sku = try context.pathParameter("sku")
        let form = context.form
        let quantityText = (form["quantity"] ?? "").trimmingCharacters(in: .whitespaces)
        func refuse(_ message: String) async throws -> Response {
            try await itemPage(request, context, formError: message, status: .unprocessableContent)
        }
        guard let quantity = Int64(quantityText.replacingOccurrences(of: "+", with: "")) else {
            return try await refuse("Enter the quantity as a whole number, e.g. 3 or -2.")
        }
        let action: ScanAction
        let device: String
        if count {
            guard let reason = form["reason"], Self.countReasons.contains(reason) else {
                return try await refuse("Choose why you counted.")
            }
            guard quantity >= 0 else { return try await refuse("A count is what is on the shelf: 0 or more.") }
            action = .count
            device = "web:" + reason
        } else {
            guard let reason = form["reason"].flatMap(StockReason.init(rawValue:)), reason != .transfer else {
                return try await refuse("Choose a reason for the adjustment.")
            }
            guard quantity != 0 else { return try await refuse("An adjustment of 0 changes nothing.") }
            if reason.sign != .signed, quantity < 0 {
                return try await refuse(
                    "For \(Self.reasonLabel[reason] ?? reason.rawValue), enter how many units (a positive number).")
            }
            action = .move(reason)
            device = "web"
        }
        let command = ScanCommand(
            scanID: "web-" + CSRF.newToken().prefix(20), code: sku, quantity: quantity, action: action,
            location: scope(of: request).location ?? store.homeLocation, device: device)
        let result = try await store.recordScan(command, actor: context.principal!.actorName)
        let done =
            count
            ? "Count recorded: on hand is now \(result.quantity)."
            : "Adjustment recorded: on hand is now \(result.quantity)."
        return redirect(scope(of: request).href("/items/\(Self.path(sku))?done=\(Self.queryEscape(done))"))
    }

    static let countReasons = ["cycle-count", "full-stocktake", "spot-check", "receiving-check"]

    // MARK: Add and edit

    func itemForm(
        _ request: Request, _ context: StockroomRequestContext, sku: String?, form: [String: String], version: String,
        error: String?, conflict: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var fields: [String: Any] = [
            "heading": sku == nil ? "Add an item" : "Edit \(sku!)", "form": form, "version": version,
            "action": sku.map { "/items/\(Self.path($0))/edit" } ?? "/items/new",
            "cancel": sku.map { "/items/\(Self.path($0))" } ?? "/inventory",
        ]
        if let sku {
            fields["sku"] = sku
            fields["skuPath"] = Self.path(sku)
        }
        if let error { fields["error"] = error }
        if let conflict { fields["conflict"] = conflict }
        return try await page("item-form", fields, request: request, context: context, nav: "inventory", status: status)
    }

    static func formValues(_ item: ItemRecord) -> [String: String] {
        [
            "sku": item.sku, "name": item.name, "category": item.category, "description": item.description,
            "price": item.priceCents.map(Money.text) ?? "", "threshold": item.threshold.map { "\($0)" } ?? "",
            "barcodes": item.barcodes.joined(separator: " "),
        ]
    }

    /// Creates or edits an item. An edit names the version (the item's HLC) its form was
    /// made from; if the item changed since, nothing is written and the form comes back
    /// with the other person's values and a conflict message (no silent overwrite). Only
    /// fields that differ from the item are written, so a concurrent edit of another
    /// field on another node still merges field by field (rule T1).
    func saveItem(_ request: Request, _ context: StockroomRequestContext, sku: String?) async throws -> Response {
        var form = context.form
        form["_csrf"] = nil
        let version = form["version"] ?? ""
        form["version"] = nil
        let actor = context.principal!.actorName
        var assignments = FieldAssignments()
        var problems: [String] = []
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        if name.isEmpty { problems.append("Give the item a name.") }
        assignments[.name] = .text(name)
        assignments[.category] = .text((form["category"] ?? "").trimmingCharacters(in: .whitespaces))
        assignments[.description] = .text(form["description"] ?? "")
        let price = (form["price"] ?? "").trimmingCharacters(in: .whitespaces)
        if price.isEmpty {
            assignments[.price] = .null
        } else if let cents = Money.cents(price) {
            assignments[.price] = .int(cents)
        } else {
            problems.append("Write the price like 4.99.")
        }
        let threshold = (form["threshold"] ?? "").trimmingCharacters(in: .whitespaces)
        if threshold.isEmpty {
            assignments[.threshold] = .null
        } else if let value = Int64(threshold), value >= 0 {
            assignments[.threshold] = .int(value)
        } else {
            problems.append("The low-stock threshold is a whole number, 0 or more.")
        }
        let barcodes = (form["barcodes"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        assignments[.barcodes] = .texts(barcodes)
        func again(
            _ error: String?, conflict: String? = nil, form: [String: String], version: String
        ) async throws
            -> Response
        {
            try await itemForm(
                request, context, sku: sku, form: form, version: version, error: error, conflict: conflict,
                status: conflict != nil ? .conflict : .unprocessableContent)
        }
        guard problems.isEmpty else {
            return try await again(problems.joined(separator: " "), form: form, version: version)
        }
        do {
            if let sku {
                let current = try await store.item(sku: sku)
                guard version == "\(current.updatedHLC.packed)" else {
                    return try await again(
                        nil,
                        conflict:
                            "It was last changed \(Self.time(current.updatedHLC.millis)).",
                        form: Self.formValues(current), version: "\(current.updatedHLC.packed)")
                }
                var changed = FieldAssignments()
                for (field, value) in assignments where current.value(of: field) != value { changed[field] = value }
                if !changed.isEmpty { _ = try await store.updateItem(sku: sku, fields: changed, actor: actor) }
                return redirect("/items/\(Self.path(sku))?done=\(Self.queryEscape("Saved."))")
            } else {
                let newSKU = (form["sku"] ?? "").trimmingCharacters(in: .whitespaces)
                let item = try await store.createItem(sku: newSKU, fields: assignments, actor: actor)
                return redirect("/items/\(Self.path(item.sku))?done=\(Self.queryEscape("Item created."))")
            }
        } catch let error as StoreError {
            return try await again(error.description, form: form, version: version)
        } catch let error as InputError {
            return try await again(error.message, form: form, version: version)
        } catch let error as OpViolation {
            return try await again(error.description, form: form, version: version)
        }
    }

    // MARK: Sync badge

    /// "synced N s ago": a store's last exchange with its hub; on the hub, the most recent
    /// exchange with any store. Offline past ``offlineAfter``.
    func syncBadge() async throws -> [String: Any] {
        let peers = try await store.allPeerProgress()
        let now = store.wallClockMillis()
        guard let last = peers.compactMap(\.lastSuccessMillis).max() else {
            return [
                "state": "none", "tone": "", "text": peers.isEmpty ? "not syncing" : "never synced",
                "detail": peers.isEmpty
                    ? "This node has no sync peer configured." : "No exchange with a peer has succeeded yet.",
            ]
        }
        let age = now > last ? (now - last) / 1000 : 0
        let state = age > Self.offlineAfter ? "offline" : age > Self.lateAfter ? "late" : "ok"
        let errors = peers.compactMap(\.lastError).first
        return [
            "state": state, "tone": state == "offline" ? "bad" : state == "late" ? "warn" : "good",
            "text": state == "offline" ? "offline · synced \(Self.age(age)) ago" : "synced \(Self.age(age)) ago",
            "detail": errors.map { "Last error: \($0)" } ?? "Last successful exchange \(Self.time(last)).",
        ]
    }

    /// A node that has not exchanged for this long shows as offline (seconds).
    static let offlineAfter: UInt64 = 300
    static let lateAfter: UInt64 = 60

    // MARK: Formatting

    static func number(_ value: Int64) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        return formatter.string(from: NSNumber(value: value)) ?? "\(value)"
    }

    static func age(_ seconds: UInt64) -> String {
        switch seconds {
        case ..<120: "\(seconds) s"
        case ..<7200: "\(seconds / 60) min"
        case ..<172_800: "\(seconds / 3600) h"
        default: "\(seconds / 86400) days"
        }
    }

    /// `2026-11-30 14:05` (UTC).
    static func time(_ millis: UInt64) -> String {
        let text = ISODate.text(millis)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    static func weekday(_ day: Int64) -> String {
        ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"][Int(((day % 7) + 7) % 7)]
    }

    static func change(_ now: Int64, from before: Int64) -> String {
        guard before != 0 else { return now == 0 ? "same" : "up" }
        let percent = Double(now - before) / Double(before) * 100
        return percent >= 0 ? String(format: "+%.0f%%", percent) : String(format: "%.0f%%", percent)
    }

    /// A SKU as one path segment.
    static func path(_ sku: String) -> String {
        sku.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#")))
            ?? sku
    }

    static func queryEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? ""
    }
}
