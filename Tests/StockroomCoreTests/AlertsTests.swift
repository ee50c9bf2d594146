import StockroomCore
import StockroomTesting
import Testing

/// Section 11 as pure functions: crossings with hysteresis, episode identity, rule
/// resolution, days of cover, the reorder quantity, the planner, schedules and V13.
@Suite struct AlertsTests {
    static let store = NodeID("store-1")!
    static let cell = StockKey(sku: "MILK-1", location: "store-1")

    @Test func anAlertFiresOnTheDownwardCrossingAndReArmsOnlyAboveThresholdPlusHysteresis() {
        let rule = AlertRule(threshold: 5, hysteresis: 3)
        #expect(AlertTrigger.next(open: false, value: 6, rule: rule) == .none)
        #expect(AlertTrigger.next(open: false, value: 5, rule: rule) == .fire)  // at the threshold counts
        #expect(AlertTrigger.next(open: true, value: 8, rule: rule) == .none)  // 8 is not above 5 + 3
        #expect(AlertTrigger.next(open: true, value: 9, rule: rule) == .rearm)
        #expect(AlertTrigger.next(open: true, value: -4, rule: rule) == .none)
        let edge = AlertRule(threshold: Int64.max, hysteresis: 1)
        #expect(AlertTrigger.next(open: true, value: Int64.max, rule: edge) == .none)  // no wrap
    }

    @Test func flappingAroundTheThresholdIsOneEpisode() {
        // Seeded walk around the threshold, never above threshold + hysteresis: one fire.
        var random = SeededGenerator(seed: 13)
        let rule = AlertRule(threshold: 10, hysteresis: 5)
        var open = false
        var fires = 0
        for _ in 0..<1000 {
            let value = Int64.random(in: 3...15, using: &random)
            switch AlertTrigger.next(open: open, value: value, rule: rule) {
            case .fire:
                fires += 1
                open = true
            case .rearm: open = false
            case .none: break
            }
        }
        #expect(fires == 1, "seed 13: \(fires) fires")
    }

    @Test func theEpisodeIdDependsOnKindCellAndCrossingOpOnly() {
        let op = OpID(origin: Self.store, seq: 42)
        let id = AlertTrigger.episodeID(kind: .low, key: Self.cell, crossing: op)
        #expect(id == AlertTrigger.episodeID(kind: .low, key: Self.cell, crossing: op))
        #expect(id.hasPrefix("ep-") && id.utf8.count == 19)
        #expect(id != AlertTrigger.episodeID(kind: .out, key: Self.cell, crossing: op))
        #expect(id != AlertTrigger.episodeID(kind: .low, key: Self.cell, crossing: OpID(origin: Self.store, seq: 43)))
        #expect(AlertAction.Target(id) == .episode(id))
    }

    @Test func theMostSpecificRuleDecides() {
        var book = AlertRuleBook()
        book.set(AlertRuleKey(kind: .low, scope: .chain, location: nil), AlertRule(threshold: 2))
        book.set(AlertRuleKey(kind: .low, scope: .category("Dairy"), location: nil), AlertRule(threshold: 6))
        book.set(AlertRuleKey(kind: .low, scope: .category("Dairy"), location: "store-2"), AlertRule(threshold: 8))
        book.set(
            AlertRuleKey(kind: .low, scope: .item("EGGS-6"), location: "store-1"),
            AlertRule(threshold: 0, enabled: false))
        func threshold(_ sku: String, _ category: String?, _ location: String, catalogue: Int64? = nil) -> Int64? {
            book.rule(.low, sku: sku, category: category, location: location, catalogueThreshold: catalogue)?.rule
                .threshold
        }
        #expect(threshold("TEA-1", "Beverages", "store-1") == 2)
        #expect(threshold("MILK-1", "Dairy", "store-1") == 6)
        #expect(threshold("MILK-1", "Dairy", "store-2") == 8)
        #expect(threshold("EGGS-6", "Dairy", "store-1") == nil)  // switched off for its scope
        #expect(threshold("EGGS-6", "Dairy", "store-2") == 8)
        #expect(threshold("MILK-1", "Dairy", "store-1", catalogue: 3) == 3)  // the item's own threshold
        #expect(book.rule(.out, sku: "MILK-1", category: "Dairy", location: "store-1") == nil)
        #expect(
            AlertRuleBook().rule(.low, sku: "X", category: nil, location: "s", catalogueThreshold: 4)?.rule.threshold
                == 4)
        #expect(AlertRuleBook().rule(.out, sku: "X", category: nil, location: "s", catalogueThreshold: 4) == nil)
    }

    @Test func ruleKeysAndValuesRoundTripAndBadOnesAreRefused() {
        for text in ["low|*|*", "out|item:MILK-1|store-1", "low|category:Dairy & Eggs|*"] {
            #expect(AlertRuleKey(text)?.description == text)
        }
        for text in ["low|*", "mid|*|*", "low|sku:X|*", "low|*|bad\u{1}"] { #expect(AlertRuleKey(text) == nil) }
        let rule = AlertRule(state: .onHand, threshold: 4, hysteresis: 2)
        #expect(AlertRule.parse(rule.text).value == rule)
        #expect(AlertRule.parse("threshold=-1").problem != nil)
        #expect(AlertRule.parse("state=available").problem != nil)
        #expect(AlertRule.parse("threshold=1;colour=red").problem != nil)
        #expect(AlertRule.parse("enabled=0").value?.enabled == false)
    }

    @Test func daysOfCoverRoundDownAndHandleNoSales() {
        #expect(DaysOfCover.days(available: 4, unitsSold: 6) == 18.6)
        #expect(DaysOfCover.days(available: 28, unitsSold: 28) == 28)
        #expect(DaysOfCover.days(available: 5, unitsSold: 0) == nil)
        #expect(DaysOfCover.days(available: -3, unitsSold: 10) == 0)
        #expect(DaysOfCover.days(available: Int64.max, unitsSold: 1) != nil)
    }

    @Test func theReorderQuantityFollowsOdooAndShowsERPNext() {
        // Odoo: below min, order up to max, rounded up to the multiple.
        #expect(ReorderQuantity.odoo(position: 4, reorderPoint: 10, orderUpTo: 30, multiple: 6) == 30)
        #expect(ReorderQuantity.odoo(position: 10, reorderPoint: 10, orderUpTo: 30, multiple: 6) == 0)
        #expect(ReorderQuantity.odoo(position: -5, reorderPoint: 0, orderUpTo: 0, multiple: 1) == 5)
        // ERPNext: max(reorder qty, level − projected).
        #expect(ReorderQuantity.erpnext(projected: 3, level: 10, reorderQty: 12) == 12)
        #expect(ReorderQuantity.erpnext(projected: -20, level: 10, reorderQty: 12) == 30)
        #expect(ReorderQuantity.supplierQuantity(19, minimumOrder: 30, packSize: 10) == 30)
        #expect(ReorderQuantity.supplierQuantity(31, minimumOrder: 30, packSize: 12) == 36)
        #expect(ReorderQuantity.roundUp(Int64.max - 1, toMultipleOf: 1000) == Int64.max)
        #expect(ReorderQuantity.leadTimeDemand(dailyRate: 0.5, leadDays: 3) == 2)
    }

    @Test func reorderRulesRefuseMaxBelowMinAndBadFields() {
        #expect(ReorderRule.parse("max=5;min=10").problem?.contains("at least min") == true)
        #expect(ReorderRule.parse("max=5;min=-1").problem != nil)
        #expect(ReorderRule.parse("max=5;min=1;multiple=0").problem != nil)
        #expect(ReorderRule.parse("max=5;min=1;route=teleport").problem != nil)
        #expect(ReorderRule.parse("max=5;min=1;trigger=sometimes").problem != nil)
        let rule = ReorderRule(
            min: 2, max: 9, multiple: 3, leadDays: 4, safety: 1, supplier: "acme", route: .transfer(from: "wh-1"),
            automatic: true, snoozedUntil: 99)
        #expect(ReorderRule.parse(rule.text).value == rule)
    }

    @Test func thePlannerPrefersAnOverstockedStoreAndCountsDrafts() {
        let rules = ReorderRule(min: 10, max: 30, multiple: 6, supplier: "dairyco")
        let cells = [
            ReplenishmentPlanner.Cell(key: Self.cell, rule: rules, states: StockStates(onHand: 4)),
            ReplenishmentPlanner.Cell(
                key: StockKey(sku: "MILK-1", location: "store-2"), rule: ReorderRule(min: 5, max: 20),
                states: StockStates(onHand: 30)),
        ]
        let suppliers = ["dairyco": ReplenishmentPlanner.SupplierTerms(minimumOrder: 24, packSize: 12)]
        let plan = ReplenishmentPlanner.plan(cells, suppliers: suppliers, now: 0)
        // Need 30 (up to 30 from 4 is 26, multiple of 6); store-2 spares 10; buy 20 → MOQ 24.
        #expect(plan.count == 2)
        #expect(plan[0].action == .transfer(from: "store-2") && plan[0].quantity == 10)
        #expect(plan[1].action == .purchase(supplier: "dairyco") && plan[1].quantity == 24)
        // An incoming PO and a draft are counted: nothing more to do.
        var covered = cells
        covered[0].states.incoming = 20
        covered[0].drafted = 6
        #expect(ReplenishmentPlanner.plan(covered, suppliers: suppliers, now: 0).isEmpty)
        // Snoozed: nothing before the time.
        var snoozed = cells
        snoozed[0].rule?.snoozedUntil = 1000
        #expect(ReplenishmentPlanner.plan(snoozed, suppliers: suppliers, now: 999).isEmpty)
        #expect(!ReplenishmentPlanner.plan(snoozed, suppliers: suppliers, now: 1000).isEmpty)
    }

    @Test func leadTimeDemandLowersThePosition() {
        let rule = ReorderRule(min: 5, max: 10, leadDays: 7)
        let cell = ReplenishmentPlanner.Cell(key: Self.cell, rule: rule, states: StockStates(onHand: 8), unitsSold: 56)
        let plan = ReplenishmentPlanner.plan([cell], suppliers: [:], now: 0)
        // 2 a day × 7 days = 14: position 8 − 14 = −6; up to 10 → 16.
        #expect(plan.first?.position == -6 && plan.first?.quantity == 16)
        #expect(plan.first?.action == .purchase(supplier: nil))
    }

    @Test func digestsFallDueOnTheHourOrTheDay() {
        let hour: UInt64 = 3_600_000
        let now = 10 * 24 * hour + 5 * hour + 1234
        #expect(DigestSchedule.dueAt(now, digest: .immediate) == now)
        #expect(DigestSchedule.dueAt(now, digest: .hourly) == 10 * 24 * hour + 6 * hour)
        #expect(DigestSchedule.dueAt(now, digest: .daily, dailyHourUTC: 7) == 10 * 24 * hour + 7 * hour)
        #expect(DigestSchedule.dueAt(now, digest: .daily, dailyHourUTC: 3) == 11 * 24 * hour + 3 * hour)
    }

    @Test func backoffDoublesWithJitterUpToAnHour() {
        #expect(DeliveryBackoff.delayMillis(afterAttempt: 1, jitter: 0.5) == 30_000)
        #expect(DeliveryBackoff.delayMillis(afterAttempt: 2, jitter: 0) == 48_000)
        #expect(DeliveryBackoff.delayMillis(afterAttempt: 30, jitter: 0.999) < 4_320_001)
        #expect(DeliveryBackoff.delayMillis(afterAttempt: 30, jitter: 0) == 2_880_000)
    }

    @Test func addressesAreCheckedPerChannel() {
        #expect(AlertRecipient.addressProblem("buyer@chain.example", channel: .email) == nil)
        for bad in ["buyer", "buyer@chain", "a b@c.d", "x@y.z, z@w.v", "@chain.example"] {
            #expect(AlertRecipient.addressProblem(bad, channel: .email) != nil, "\(bad)")
        }
        #expect(AlertRecipient.addressProblem("https://hooks.example/x", channel: .webhook) == nil)
        #expect(AlertRecipient.addressProblem("ftp://hooks.example/x", channel: .webhook) != nil)
        #expect(AlertRecipient.addressProblem("http://", channel: .slack) != nil)
        #expect(AlertRecipient.addressProblem("+15551234567", channel: .sms) == nil)
        #expect(AlertRecipient.addressProblem("5551234567", channel: .sms) != nil)
        let recipient = AlertRecipient(
            id: "dairy", channel: .email, address: "d@c.e", locations: ["store-1"], categories: ["Dairy"], kinds: [.out]
        )
        #expect(recipient.wants(.out, location: "store-1/backroom", category: "Dairy"))
        #expect(!recipient.wants(.low, location: "store-1", category: "Dairy"))
        #expect(!recipient.wants(.out, location: "store-10", category: "Dairy"))
        #expect(!recipient.wants(.out, location: "store-1", category: nil))
    }

    @Test func settingOpsMeetRuleV13() {
        func check(
            _ setting: Setting, from origin: NodeID = Self.store, policy: LocationPolicy? = .own(Self.store)
        )
            -> OpViolation?
        {
            let op = Op(
                id: OpID(origin: origin, seq: 1), hlc: HLC(millis: 1000), actor: "t", payload: .setting(setting))
            return OpRules.check(op, locations: policy, wallMillis: 1000)
        }
        #expect(check(Setting(namespace: .alertRule, key: "low|*|store-1", value: "threshold=3")) == nil)
        #expect(check(Setting(namespace: .alertRule, key: "low|*|*", value: "threshold=3"))?.rule == .location)
        #expect(check(Setting(namespace: .alertRule, key: "low|*|store-2", value: "threshold=3"))?.rule == .location)
        #expect(check(Setting(namespace: .alertRule, key: "low|*|*", value: "threshold=3"), policy: .anywhere) == nil)
        #expect(check(Setting(namespace: .alertRule, key: "low|*|store-1", value: "threshold=-3"))?.rule == .setting)
        #expect(check(Setting(namespace: .reorderRule, key: "MILK-1|store-1", value: "max=1;min=2"))?.rule == .setting)
        #expect(check(Setting(namespace: .alertAction, key: "ep-0123456789abcdef", value: "ack=1")) == nil)
        #expect(check(Setting(namespace: .alertAction, key: "ep-nothex", value: "ack=1"))?.rule == .setting)
        #expect(check(Setting(namespace: .alertDelivery, key: "store-1", value: "store-1")) == nil)
        #expect(check(Setting(namespace: .alertDelivery, key: "store-1", value: "not a node"))?.rule == .setting)
        #expect(check(Setting(namespace: .alertRule, key: "low|*|store-1", value: nil)) == nil)
    }

    @Test func settingOpsRoundTripThroughTheCodecAsVersion3() throws {
        let ops = [
            Op(
                id: OpID(origin: Self.store, seq: 1), hlc: HLC(millis: 5), actor: "buyer",
                payload: .setting(Setting(namespace: .reorderRule, key: "MILK-1|store-1", value: "max=9;min=2"))),
            Op(
                id: OpID(origin: Self.store, seq: 2), hlc: HLC(millis: 6), actor: "buyer",
                payload: .setting(Setting(namespace: .alertRule, key: "low|*|store-1", value: nil))),
        ]
        let bytes = BatchCodec.encode(SyncBatch(node: Self.store, ops: ops))
        #expect(bytes[4] == 3)  // the batch version after the magic
        #expect(try BatchCodec.decode(bytes).ops == ops)
        let old = BatchCodec.encode(SyncBatch(node: Self.store, ops: []))
        #expect(old[4] == 1)
    }
}
