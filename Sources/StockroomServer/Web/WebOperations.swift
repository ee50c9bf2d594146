import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Alerts, replenishment, conflicts, sync, reports and anomalies: the pages a manager
/// works through each morning, over the same store methods as their `/v1` routes.
extension WebSite {
    func registerOperations(
        reads: RouterGroup<StockroomRequestContext>, writes: RouterGroup<StockroomRequestContext>,
        manage: RouterGroup<StockroomRequestContext>
    ) {
        reads.get("alerts") { request, context in try await alertsPage(request, context) }
        writes.post("alerts/:id/ack") { request, context -> Response in
            let id = try context.pathParameter("id")
            guard try await store.alertEpisodes(id: id, limit: 1).first != nil else {
                throw APIError(.notFound, "not_found", "No alert '\(id.prefix(40))'.")
            }
            try await store.setSetting(
                Setting(namespace: .alertAction, key: id, value: AlertAction(acknowledged: true).text),
                actor: context.principal!.actorName)
            return redirect("/alerts?done=" + Self.queryEscape("Alert acknowledged: no more messages for it."))
        }
        writes.post("alerts/:id/snooze") { request, context -> Response in
            let id = try context.pathParameter("id")
            guard let episode = try await store.alertEpisodes(id: id, limit: 1).first else {
                throw APIError(.notFound, "not_found", "No alert '\(id.prefix(40))'.")
            }
            guard let hours = Int(context.form["hours"] ?? ""), [4, 24, 72, 168].contains(hours) else {
                return try await alertsPage(request, context, error: "Choose how long to snooze.")
            }
            let until = store.wallClockMillis() + UInt64(hours) * 3_600_000
            try await store.setSetting(
                Setting(
                    namespace: .alertAction, key: AlertAction.Target.cell(episode.kind, episode.key).key,
                    value: AlertAction(snoozedUntil: until).text), actor: context.principal!.actorName)
            return redirect(
                "/alerts?done="
                    + Self.queryEscape("Snoozed for \(hours) hours: \(episode.key.sku) at \(episode.key.location)."))
        }
        reads.get("replenishment") { request, context in try await replenishmentPage(request, context) }
        manage.post("replenishment/apply") { request, context -> Response in
            let skus = context.form["sku"].map { Set([$0]) }
            let applied = try await store.applyReplenishment(
                location: nil, skus: skus, actor: context.principal!.actorName)
            let made = applied.created.map { "\($0.key.kind.noun) \($0.key.id)" }.joined(separator: ", ")
            let skipped = applied.skipped.map { "\($0.suggestion.key.sku): \($0.reason)" }.joined(separator: "; ")
            var message = applied.created.isEmpty ? "Nothing new to draft." : "Drafted \(made)."
            if !skipped.isEmpty { message += " Not drafted: \(skipped)." }
            return redirect("/replenishment?done=" + Self.queryEscape(message))
        }
        reads.get("conflicts") { request, context in try await conflictsPage(request, context) }
        manage.post("conflicts/:id/resolve") { request, context -> Response in
            guard let id = Int64(try context.pathParameter("id")) else {
                throw APIError(.notFound, "not_found", "No such conflict.")
            }
            let reason = (context.form["reason"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !reason.isEmpty else {
                return try await conflictsPage(request, context, error: "Say why the conflict is resolved.")
            }
            do {
                let conflict = try await store.resolveConflict(
                    id: id, reason: reason, actor: context.principal!.actorName)
                return redirect(
                    "/conflicts?done=" + Self.queryEscape("Resolved: \(conflict.kind) of \(conflict.sku)."))
            } catch let error as StoreError {
                return try await conflictsPage(request, context, error: error.description)
            }
        }
        reads.get("sync") { request, context in try await syncPage(request, context) }
        reads.get("reports") { request, context in try await reportsPage(request, context) }
        reads.get("reports/:name") { request, context in try await reportsPage(request, context) }
        reads.get("anomalies") { request, context in try await anomaliesPage(request, context) }
        manage.post("anomalies/:op/review") { request, context -> Response in
            guard let op = OpID(try context.pathParameter("op")) else {
                throw APIError(.notFound, "not_found", "No such movement.")
            }
            guard let verdict = AnomalyReview.Verdict(rawValue: context.form["verdict"] ?? "") else {
                return try await anomaliesPage(request, context, error: "Choose shrinkage or explained.")
            }
            let note = (context.form["note"] ?? "").trimmingCharacters(in: .whitespaces)
            let who = context.principal!.actorName
            do {
                _ = try await store.reviewAnomaly(
                    op, review: AnomalyReview(by: who, verdict: verdict, note: note.isEmpty ? nil : note), actor: who)
            } catch let error as StoreError {
                return try await anomaliesPage(request, context, error: error.description)
            }
            anomalyCache.forget()
            return redirect("/anomalies?done=" + Self.queryEscape("Marked \(op) as \(verdict.rawValue)."))
        }
    }

    // MARK: Alerts

    func alertsPage(
        _ request: Request, _ context: StockroomRequestContext, error: String? = nil
    ) async throws
        -> Response
    {
        let scope = scope(of: request)
        let open = try await store.alertEpisodes(open: true, location: scope.chosen, limit: 500)
        let canWrite = Permission.documents.isGranted(to: context.principal!.role)
        let now = store.wallClockMillis()
        let fields: [String: Any] = [
            "error": error ?? "", "canWrite": canWrite,
            "rows": open.map { episode -> [String: Any] in
                var state = episode.acknowledged ? "acknowledged" : "open"
                if let until = episode.snoozedUntil, until > now { state = "snoozed until \(Self.time(until))" }
                return [
                    "id": episode.id, "kind": episode.kind.rawValue, "sku": episode.key.sku,
                    "skuPath": Self.path(episode.key.sku), "location": episode.key.location,
                    "value": episode.value, "threshold": episode.threshold,
                    "cover": episode.daysOfCover.map { String(format: "%.1f days", $0) } ?? "not known",
                    "opened": Self.time(episode.openedAt), "state": state, "acknowledged": episode.acknowledged,
                ]
            },
        ]
        return try await page("alerts", fields, request: request, context: context, nav: "alerts")
    }

    // MARK: Replenishment

    func replenishmentPage(_ request: Request, _ context: StockroomRequestContext) async throws -> Response {
        let report = try await store.replenishment(location: scope(of: request).chosen)
        let canApply = Permission.manage.isGranted(to: context.principal!.role)
        let fields: [String: Any] = [
            "canApply": canApply && !report.suggestions.isEmpty, "manage": canApply,
            "cells": report.cells,
            "rows": report.suggestions.map { suggestion -> [String: Any] in
                let action: String
                switch suggestion.action {
                case .purchase(let supplier): action = "Buy from \(supplier ?? "(no supplier set)")"
                case .transfer(let from): action = "Transfer from \(from)"
                }
                let ages = suggestion.sources.compactMap { source -> String? in
                    guard let stale = report.staleness[source], !stale.isOwn else { return nil }
                    return
                        "\(source): data \(stale.ageSeconds.map { Self.age(UInt64(max(0, $0))) } ?? "never received") old"
                }
                return [
                    "sku": suggestion.key.sku, "skuPath": Self.path(suggestion.key.sku),
                    "location": suggestion.key.location, "action": action, "quantity": suggestion.quantity,
                    "position": suggestion.position, "reorderPoint": suggestion.reorderPoint,
                    "orderUpTo": suggestion.orderUpTo, "erpnext": suggestion.erpnextQuantity,
                    "arithmetic": suggestion.arithmetic, "ages": ages.joined(separator: "; "),
                    "forecast": suggestion.forecast.map { String(format: "%.1f a day (%@)", $0.daily, $0.model) } ?? "",
                ]
            },
        ]
        return try await page("replenishment", fields, request: request, context: context, nav: "replenishment")
    }

    // MARK: Conflicts

    func conflictsPage(
        _ request: Request, _ context: StockroomRequestContext, error: String? = nil
    ) async throws
        -> Response
    {
        let showResolved = request.uri.queryParameters["resolved"] == "1"
        let scope = scope(of: request)
        let conflicts = try await store.conflicts(includeResolved: showResolved, limit: 500).filter {
            scope.includes($0.location)
        }
        let canResolve = Permission.manage.isGranted(to: context.principal!.role)
        let fields: [String: Any] = [
            "showResolved": showResolved, "error": error ?? "",
            "rows": conflicts.map { conflict -> [String: Any] in
                [
                    "id": conflict.id, "kind": conflict.kind.replacingOccurrences(of: "_", with: " "),
                    "sku": conflict.sku, "skuPath": Self.path(conflict.sku), "location": conflict.location ?? "",
                    "quantity": conflict.quantity.map { "\($0)" } ?? "", "detail": conflict.detail,
                    "ops": conflict.ops, "detected": Self.time(conflict.detectedHLC.millis),
                    "resolved": conflict.resolvedHLC.map { Self.time($0.millis) } ?? "",
                    "advice": Self.conflictAdvice[conflict.kind] ?? "",
                    "resolution": conflict.resolution.map { "\($0.by): \($0.reason)" } ?? "",
                    "canResolve": canResolve && conflict.resolvedHLC == nil,
                ]
            },
        ]
        return try await page("conflicts", fields, request: request, context: context, nav: "conflicts")
    }

    /// What a manager should do about each kind of conflict.
    static let conflictAdvice: [String: String] = [
        "oversell":
            "More was sold than the shelf held. Count the item (Adjust or count on its page): the count sets on hand, and the conflict closes when stock is back at zero or above.",
        "concurrent_count":
            "Two counts were taken at once and one won. If the winner looks wrong, count again: a new count after both settles it.",
        "promised_oversold":
            "Stock went below what orders and holds promised. Receive stock or cancel a promise.",
        "clock_clamped":
            "A node's clock ran ahead. Fix that node's clock (NTP); the edit stands as made.",
    ]

    // MARK: Sync

    func syncPage(_ request: Request, _ context: StockroomRequestContext) async throws -> Response {
        let scope = scope(of: request)
        let peers = try await store.allPeerProgress().filter { scope.includes($0.peer) }
        let now = store.wallClockMillis()
        let knowledge = store.writeContext.knowledge
        let sort = String(request.uri.queryParameters["sort"] ?? "peer")
        var rows = peers.map { peer -> (progress: StockroomStore.PeerProgress, age: UInt64?) in
            (peer, peer.lastSuccessMillis.map { now > $0 ? (now - $0) / 1000 : 0 })
        }
        switch sort {
        case "age": rows.sort { ($0.age ?? .max) > ($1.age ?? .max) }
        case "pending": rows.sort { ($0.progress.pendingIn ?? 0) > ($1.progress.pendingIn ?? 0) }
        default: rows.sort { $0.progress.peer < $1.progress.peer }
        }
        let ownSeq = knowledge[store.nodeID]
        let fields: [String: Any] = [
            "isHub": role == "hub", "offlineAfter": Self.age(Self.offlineAfter),
            "sort": sort, "ownSeq": ownSeq,
            "rows": rows.map { row -> [String: Any] in
                let state =
                    row.age.map { $0 > Self.offlineAfter ? "offline" : $0 > Self.lateAfter ? "late" : "ok" } ?? "none"
                let received = NodeID(row.progress.peer).map { knowledge[$0] } ?? 0
                return [
                    "peer": row.progress.peer, "state": state,
                    "stateLabel": ["offline": "Offline", "late": "Late", "ok": "In sync", "none": "Never synced"][
                        state]!,
                    "lastContact": row.progress.lastSuccessMillis.map { Self.time($0) } ?? "never",
                    "age": row.age.map { Self.age($0) } ?? "",
                    "pendingIn": row.progress.pendingIn.map { "\($0)" } ?? "0",
                    "pendingOut": ownSeq > row.progress.pushedSeq ? "\(ownSeq - row.progress.pushedSeq)" : "0",
                    "received": received, "error": row.progress.lastError ?? "",
                ]
            },
        ]
        return try await page("sync", fields, request: request, context: context, nav: "sync")
    }

    // MARK: Reports

    static let reportTitles: [(ReportName, String)] = [
        (.stockValue, "Stock value"), (.movements, "Movements"), (.sales, "Sales"), (.stockouts, "Stockouts"),
        (.turnover, "Turnover"), (.deadStock, "Dead stock"), (.abc, "ABC analysis"), (.suppliers, "Suppliers"),
    ]

    func reportsPage(_ request: Request, _ context: StockroomRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let name = context.parameters.get("name").map { $0.hasSuffix(".csv") ? String($0.dropLast(4)) : $0 }
        let csv = context.parameters.get("name")?.hasSuffix(".csv") == true
        let today = Int64(store.wallClockMillis() / 86_400_000)
        let from = parameters["from"].map(String.init) ?? ISODate.dateText(day: today - 29)
        let to = parameters["to"].map(String.init) ?? ISODate.dateText(day: today)
        var fields: [String: Any] = [
            "reports": Self.reportTitles.map {
                ["name": $0.0.rawValue, "title": $0.1, "active": $0.0.rawValue == name]
            },
            "from": from, "to": to, "store": scope(of: request).chosen ?? "",
        ]
        if let name {
            let query: ReportQuery
            do {
                query = try ReportQuery.parse(
                    name: name, from: from, to: to, location: scope(of: request).chosen,
                    by: parameters["by"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }, period: "week",
                    staleDays: 90)
            } catch {
                fields["error"] = error.message
                return try await page(
                    "reports", fields, request: request, context: context, nav: "reports", status: .unprocessableContent
                )
            }
            let table = try await store.report(query)
            if csv {
                var headers = HTTPFields()
                headers[.contentType] = "text/csv; charset=utf-8"
                headers[.contentDisposition] = "attachment; filename=\"\(name)-\(from)-\(to).csv\""
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: table.csv)))
            }
            let shown = table.rows.prefix(500)
            fields["name"] = name
            fields["title"] = Self.reportTitles.first { $0.0.rawValue == name }?.1 ?? name
            fields["description"] = query.name.summary
            fields["columns"] = table.columns.map {
                ["label": $0.name.replacingOccurrences(of: "_", with: " "), "numeric": $0.kind != .text]
            }
            fields["rows"] = shown.map { row in
                ["cells": zip(row, table.columns).map { ["text": $0.0.text, "numeric": $0.1.kind != .text] }]
            }
            fields["totals"] = table.totals.enumerated().map { index, cell in
                [
                    "text": index == 0 && !table.columns[0].summed ? "Total" : cell.text,
                    "numeric": table.columns[index].kind != .text,
                ]
            }
            fields["hasTotals"] = table.columns.contains(where: \.summed)
            fields["count"] = table.rows.count
            fields["truncated"] = table.rows.count > shown.count
            fields["notes"] = table.notes
            let by = query.by.map { "&by=\($0.rawValue)" } ?? ""
            fields["csvHref"] = scope(of: request).href("/reports/\(name).csv?from=\(from)&to=\(to)\(by)")
            fields["by"] = query.by?.rawValue ?? ""
        }
        return try await page("reports", fields, request: request, context: context, nav: "reports")
    }

    // MARK: Anomalies

    func anomaliesPage(
        _ request: Request, _ context: StockroomRequestContext, error: String? = nil
    ) async throws
        -> Response
    {
        let today = store.wallClockMillis() / 86_400_000
        let since = (today - 30) * 86_400_000
        let store = store
        let chosen = scope(of: request).chosen
        let report = try await anomalyCache.value("30d/" + (chosen ?? "*")) {
            try await store.anomalies(since: since, location: chosen, budget: 0.02)
        }
        let canReview = Permission.manage.isGranted(to: context.principal!.role)
        let fields: [String: Any] = [
            "error": error ?? "", "scored": report.scored, "flagged": report.flagged.count, "canReview": canReview,
            "since": ISODate.dateText(day: Int64(today - 30)),
            "rows": report.flagged.map { movement -> [String: Any] in
                [
                    "op": movement.op.description, "opPath": Self.path(movement.op.description),
                    "sku": movement.key.sku,
                    "skuPath": Self.path(movement.key.sku), "location": movement.key.location, "kind": movement.kind,
                    "quantity": movement.quantity, "when": Self.time(movement.occurredAt),
                    "who": movement.actor + (movement.device.map { " · \($0)" } ?? ""),
                    "score": String(format: "%.3f", movement.score), "reason": movement.reason,
                    "review": movement.review.map {
                        "\($0.verdict.rawValue) by \($0.by)\($0.note.map { ": \($0)" } ?? "")"
                    } ?? "",
                ]
            },
        ]
        return try await page("anomalies", fields, request: request, context: context, nav: "anomalies")
    }
}
