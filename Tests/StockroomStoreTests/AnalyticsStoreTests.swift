import Foundation
import GRDB
import StockroomCore
import StockroomStore
import StockroomTesting
import Testing

/// Issue #14 against a real database: history import, the ledger and its reports, the
/// explanation of a number, forecasts feeding replenishment, and anomaly scores.
@Suite struct AnalyticsStoreTests {
    static let day = Int64(86_400_000)

    /// A store with A-1 (4.99), B-2 and C-3, and `csv` written to a file in its folder.
    func store(_ csv: String? = nil) async throws -> (StockroomStore, String) {
        let folder = try TestStores.temporaryDirectory()
        let store = try TestStores.make(at: folder)
        try await TestStores.seedCatalogue(store)
        _ = try await store.updateItem(sku: "A-1", fields: FieldAssignments([.price: .int(499)]), actor: "t")
        let path = folder + "/history.csv"
        if let csv { try csv.write(toFile: path, atomically: true, encoding: .utf8) }
        return (store, path)
    }

    static let history = """
        occurred_at,sku,location,reason,qty,actor,device,unit_cost,unit_price,id
        2026-01-05T08:00:00Z,A-1,store-1,count,10,opening,hh-1,,,
        2026-01-05T09:00:00Z,A-1,store-1,receive,20,receiving,dock-1,2.00,,
        2026-01-05T10:00:00Z,A-1,store-1,sale,3,cashier-1,till-1,,5.49,
        2026-01-05T10:00:00Z,A-1,store-1,sale,3,cashier-1,till-1,,5.49,
        2026-01-06,A-1,store-1,return,1,cashier-2,till-2,,5.49,r-77
        2026-01-07T12:00:00Z,A-1,store-1,adjust,-2,staff-1,hh-1,,,
        2026-02-02T11:00:00Z,A-1,store-1,receive,10,receiving,dock-1,3.50,,
        2026-02-03T11:00:00Z,B-2,store-1,damage,1,staff-1,hh-1,,,
        """

    @Test func historyImportsOnceWithBusinessTimeAndRefusesABadFileWhole() async throws {
        let (store, path) = try await store(Self.history)
        let summary = try await store.importHistory(file: path, actor: "test")
        #expect(summary.rows == 8 && summary.written == 8 && summary.alreadyImported == 0)
        #expect(summary.from == ISODate.millis("2026-01-05T08:00:00Z"))
        // Two identical sales on adjacent lines are two sales.
        #expect(try await store.stock(code: "A-1").quantity == 10 + 20 - 6 + 1 - 2 + 10)
        let again = try await store.importHistory(file: path, actor: "test")
        #expect(again.written == 0 && again.alreadyImported == 8)
        #expect(try await store.stock(code: "A-1").quantity == 33)
        // The row with an id keeps it as its key; business time and price ride on the op.
        var query = OpQuery()
        query.sku = "A-1"
        let ops = try await store.ops(query).items.map(\.op)
        let refund = try #require(ops.first { $0.scanID == "h-r-77" })
        #expect(refund.facts?.occurredAt == ISODate.millis("2026-01-06"))
        #expect(refund.facts?.unitPrice == 549)
        #expect(refund.businessMillis < refund.hlc.millis)

        let bad = """
            occurred_at,sku,location,reason,qty
            2099-01-01,A-1,store-1,sale,1
            2026-01-01,NOPE,store-1,sale,1
            2026-01-01,A-1,store-1,steal,1
            2026-01-01,A-1,store-1,sale,-2
            2026-01-01,A-1,elsewhere/x,sale,1
            2026-13-01,A-1,store-1,sale,1
            2026-01-01,A-1,store-1,receive,1
            """
        try bad.write(toFile: path, atomically: true, encoding: .utf8)
        let before = try await store.statistics().ops
        do {
            _ = try await store.importHistory(file: path, actor: "test")
            Issue.record("a bad file was imported")
        } catch let problems as CatalogCSV.Problems {
            #expect(problems.all.map(\.line) == [2, 3, 4, 5, 7])
            #expect(problems.all[0].message.contains("future"))
            #expect(problems.all[1].message.contains("NOPE"))
            #expect(problems.all[2].message.contains("steal"))
        }
        #expect(try await store.statistics().ops == before, "a refused file wrote ops")
        try "sku,qty\nA-1,1\n".write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(throws: CatalogCSV.Problems.self) { try await store.importHistory(file: path, actor: "t") }
    }

    @Test func reportsAreTheLedgerByBusinessDayAndTheirCSVTotalsEqualTheJSON() async throws {
        let (store, path) = try await store(Self.history)
        _ = try await store.importHistory(file: path, actor: "test")
        let jan5 = ISODate.day("2026-01-05")!
        let sales = try await store.report(ReportQuery(name: .sales, from: jan5, to: jan5 + 30, by: .item))
        let row = try #require(sales.rows.first)
        // 6 sold at 5.49, 1 returned at 5.49: revenue 5 × 5.49 = 27.45.
        #expect(row[0] == .text("A-1") && row[3] == .integer(6) && row[4] == .integer(1) && row[6] == .money(2745))
        let byPeriod = try await store.report(
            ReportQuery(name: .sales, from: jan5, to: jan5 + 30, by: .period, period: .day))
        #expect(byPeriod.rows.map { $0[0] } == [.date(jan5), .date(jan5 + 1)])
        #expect(byPeriod.totals[5] == .money(2745))
        // Stock as of the end of 2026-01-07: 10 + 20 − 6 + 1 − 2 = 23 at 2.00 (one receipt).
        let asOf = try await store.report(ReportQuery(name: .stockValue, from: jan5, to: jan5 + 2))
        let a1 = try #require(asOf.rows.first { $0[0] == .text("A-1") })
        #expect(a1[4] == .integer(23) && a1[5] == .money(200) && a1[6] == .money(4600))
        // After February's receipt at 3.50: (20 × 2.00 + 10 × 3.50) / 30 = 2.50 a unit.
        let now = try await store.report(ReportQuery(name: .stockValue, from: jan5, to: jan5 + 60))
        let a1Now = try #require(now.rows.first { $0[0] == .text("A-1") })
        #expect(a1Now[4] == .integer(33) && a1Now[5] == .money(250) && a1Now[6] == .money(8250))
        // The movements report by month; its CSV total row equals the JSON totals.
        let movements = try await store.report(ReportQuery(name: .movements, from: jan5, to: jan5 + 60))
        #expect(movements.rows.count == 2)
        let csvTotal = try #require(movements.csv.split(separator: "\r\n").last)
        #expect(csvTotal == "TOTAL,," + movements.totals.dropFirst(2).map(\.text).joined(separator: ","))
        let json = try JSONSerialization.jsonObject(with: Data(movements.json)) as! [String: Any]
        let totals = json["totals"] as! [String: Any]
        #expect((totals["sold"] as? Int) == 6 && (totals["received"] as? Int) == 30 && (totals["damaged"] as? Int) == 1)
        // ABC and turnover run on the same ledger.
        let abc = try await store.report(ReportQuery(name: .abc, from: jan5, to: jan5 + 60))
        #expect(abc.rows.first?[6] == .text("A"))
        await #expect(throws: StoreError.self) {
            try await store.report(ReportQuery(name: .sales, from: jan5 + 1, to: jan5))
        }
        await #expect(throws: StoreError.self) {
            try await store.report(ReportQuery(name: .stockouts, from: jan5, to: jan5, by: .category))
        }
    }

    @Test func aCSVCellThatLooksLikeAFormulaIsNeutralised() async throws {
        let (store, _) = try await store()
        _ = try await store.updateItem(
            sku: "B-2", fields: FieldAssignments([.name: .text("=HYPERLINK(\"x\")")]), actor: "t")
        _ = try await store.recordScan(.receive("r1", "B-2", 4), actor: "t")
        let today = Int64(Date().timeIntervalSince1970) / 86_400
        let csv = try await store.report(ReportQuery(name: .stockValue, from: today, to: today)).csv
        #expect(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""))
        #expect(!csv.contains(",=HYPERLINK"))
    }

    @Test func theLedgerIsRebuiltFromTheLogAsItWas() async throws {
        let (store, path) = try await store(Self.history)
        _ = try await store.importHistory(file: path, actor: "test")
        _ = try await store.recordScan(.sale("s1", "A-1", 2), actor: "t")
        func ledger() async throws -> [String] {
            try await store.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM cell_days ORDER BY day, location, sku").map(\.description)
                    + Row.fetchAll(db, sql: "SELECT * FROM location_days ORDER BY day, location").map(\.description)
                    + Row.fetchAll(db, sql: "SELECT * FROM stockouts ORDER BY sku, started_at").map(\.description)
            }
        }
        let before = try await ledger()
        #expect(before.count > 5)
        try await store.rebuildMaterialisedState()
        #expect(try await ledger() == before)
    }

    @Test func explainNamesTheWinningCountAndWhatCameAfterItNowAndAsOfThePast() async throws {
        let (store, path) = try await store(Self.history)
        _ = try await store.importHistory(file: path, actor: "test")
        let key = StockKey(sku: "A-1", location: "store-1")
        let now = try await store.explain(key)
        #expect(now.onHand == 33)
        #expect(now.winningCount?.quantity == 10 && now.winningCount?.actor == "opening")
        #expect(now.onTopCount == 6 && now.onTopUnits == 23 && now.coveredOps == 0)
        #expect(now.states?.available == 33)
        #expect(now.arithmetic.contains { $0.contains("10 + 23 from 6 movement(s) after the count = 33") })
        // As of the end of 2026-01-05 only that day's ops count: 10 + 20 − 6.
        let past = try await store.explain(key, asOf: ISODate.millis("2026-01-05T23:59:59Z")!)
        #expect(past.onHand == 24 && past.onTopCount == 3 && past.states == nil)
    }

    @Test func forecastsFeedReorderPointsAndReplenishmentShowsThem() async throws {
        let (store, _) = try await store()
        // Eight weeks of sales of A-1: 3 a day on weekdays, 6 on Saturdays.
        let today = Int64(Date().timeIntervalSince1970) / 86_400
        var rows = ["occurred_at,sku,location,reason,qty,unit_price"]
        rows.append("\(ISODate.dateText(day: today - 60)),A-1,store-1,count,200,")
        for day in (today - 56)..<today {
            let weekday = Int((day + 3) % 7)
            rows.append("\(ISODate.dateText(day: day)),A-1,store-1,sale,\(weekday == 5 ? 6 : 3),4.99")
        }
        let folder = try TestStores.temporaryDirectory()
        try (rows.joined(separator: "\n") + "\n").write(toFile: folder + "/h.csv", atomically: true, encoding: .utf8)
        _ = try await store.importHistory(file: folder + "/h.csv", actor: "t")
        let forecasts = try await store.fitForecasts(asOf: today, horizon: 7)
        let a1 = try #require(forecasts.first { $0.key.sku == "A-1" })
        #expect(a1.daily.count == 7)
        #expect(abs(a1.daily.reduce(0, +) - 24) < 4, "\(a1.daily)")
        let saturday = a1.daily.indices.first { (today + Int64($0) + 3) % 7 == 5 }!
        #expect(a1.daily[saturday] > a1.daily.filter { $0 < a1.daily[saturday] }.max()!)
        #expect(try await store.refreshForecasts(asOf: today) == 1)
        // A rule with a service level: reorder point = lead-time demand + safety stock.
        try await store.setSetting(
            Setting(
                namespace: .reorderRule, key: "A-1|store-1",
                value: ReorderRule(min: 0, max: 30, leadDays: 7, servicePerMille: 950).text), actor: "t")
        let plan = try await store.replenishment(location: "store-1")
        let suggestion = try #require(plan.suggestions.first { $0.key.sku == "A-1" })
        #expect(suggestion.forecast?.model != nil)
        #expect(suggestion.arithmetic.contains { $0.contains("safety stock") && $0.contains("95.0%") })
    }

    @Test func anOffHoursWriteOffTopsTheAnomalyListWithAReasonAndCanBeReviewed() async throws {
        let (store, _) = try await store()
        let start = Int64(Date().timeIntervalSince1970) / 86_400 - 40
        var rows = ["occurred_at,sku,location,reason,qty,actor,device"]
        rows.append("\(ISODate.dateText(day: start))T07:00:00Z,A-1,store-1,count,400,opening,hh-1")
        rows.append("\(ISODate.dateText(day: start))T07:00:00Z,B-2,store-1,count,400,opening,hh-1")
        var generator = SeededGenerator(seed: 14)
        for day in start..<(start + 38) {
            for hour in [10, 11, 13, 15, 17] {
                let sku = ["A-1", "B-2"][Int.random(in: 0...1, using: &generator)]
                rows.append(
                    "\(ISODate.dateText(day: day))T\(hour):1\(hour % 6):00Z,\(sku),store-1,sale,1,cashier-1,till-1")
            }
            if day % 3 == 0 {
                rows.append("\(ISODate.dateText(day: day))T14:30:00Z,B-2,store-1,adjust,-1,staff-1,hh-1")
            }
            if day % 4 == 0 { rows.append("\(ISODate.dateText(day: day))T12:00:00Z,A-1,store-1,damage,1,staff-2,hh-1") }
        }
        let night = "\(ISODate.dateText(day: start + 37))T03:12:00Z"
        rows.append("\(night),A-1,store-1,adjust,-60,staff-9,hh-2")
        rows = [rows[0]] + rows.dropFirst().sorted()
        let folder = try TestStores.temporaryDirectory()
        try (rows.joined(separator: "\n") + "\n").write(toFile: folder + "/h.csv", atomically: true, encoding: .utf8)
        _ = try await store.importHistory(file: folder + "/h.csv", actor: "t")
        let since = UInt64(start + 20) * UInt64(Self.day)
        let report = try await store.anomalies(since: since, location: nil, budget: 0.05)
        let top = try #require(report.flagged.first)
        #expect(top.quantity == -60 && top.actor == "staff-9", "\(report.flagged.map(\.reason))")
        #expect(top.reason.contains("this item's usual") && top.reason.contains("outside opening hours"))
        #expect(report.scored > 10 && report.flagged.count == Int((Double(report.scored) * 0.05).rounded(.up)))
        // Deterministic: the same log gives the same scores.
        let again = try await store.anomalies(since: since, location: nil, budget: 0.05)
        #expect(again.flagged.map(\.score) == report.flagged.map(\.score))
        try await store.reviewAnomaly(
            top.op, review: AnomalyReview(by: "lp", verdict: .shrinkage, note: "cctv"), actor: "lp")
        #expect(
            try await store.anomalies(since: since, location: nil, budget: 0.05).flagged.first?.review?.verdict
                == .shrinkage)
        await #expect(throws: StoreError.self) {
            try await store.reviewAnomaly(
                OpID("store-1:999999")!, review: AnomalyReview(by: "x", verdict: .explained), actor: "x")
        }
    }
}
