import Foundation
import StockroomCore
import StockroomTesting
import Testing

/// Section 12.1 and 12.4: business facts on the wire (version 4), rule V14, and what needs
/// version 4.
@Suite struct BusinessFactsTests {
    static let origin = NodeID("store-1")!
    static let now: UInt64 = 1_790_000_000_000

    static func sale(_ seq: UInt64, facts: OpFacts? = nil) -> Op {
        Op(
            id: OpID(origin: origin, seq: seq), hlc: HLC(millis: now + seq), actor: "till",
            payload: .delta(StockKey(sku: "A-1", location: "store-1"), quantity: -1, reason: .sale), facts: facts)
    }

    @Test func factsTravelInAVersion4BatchAndOnlyThere() throws {
        let facts = OpFacts(occurredAt: 1_700_000_000_123, unitCost: nil, unitPrice: 549)
        let ops = [Self.sale(1), Self.sale(2, facts: facts), Self.sale(3, facts: OpFacts(unitCost: 0))]
        let bytes = BatchCodec.encode(SyncBatch(node: Self.origin, ops: ops))
        #expect(bytes[4] == 4, "a batch with facts is version 4")
        let decoded = try BatchCodec.decode(bytes)
        #expect(decoded.ops == ops)
        #expect(decoded.ops[1].businessMillis == 1_700_000_000_123 && decoded.ops[0].businessMillis == Self.now + 1)
        // Without facts the batch stays at the version its kinds need.
        #expect(BatchCodec.encode(SyncBatch(node: Self.origin, ops: [Self.sale(1)]))[4] == 1)
        // Empty facts are no facts.
        #expect(Op(id: ops[0].id, hlc: ops[0].hlc, actor: "x", payload: ops[0].payload, facts: OpFacts()).facts == nil)
        // Unknown fact flags are refused.
        var tampered = BatchCodec.encode(
            SyncBatch(node: Self.origin, ops: [Self.sale(1, facts: OpFacts(unitPrice: 5))]))
        let flagIndex = tampered.count - 2  // flags 4, then the zig-zag price 10
        #expect(tampered[flagIndex] == 4)
        tampered[flagIndex] = 9
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(tampered) }
    }

    @Test func ruleV14BoundsWhenAndWhatForAndOnWhat() {
        func problem(_ op: Op) -> OpRule? {
            OpRules.check(op, locations: .anywhere, wallMillis: Self.now)?.rule
        }
        #expect(problem(Self.sale(1, facts: OpFacts(occurredAt: Self.now - 86_400_000 * 400, unitPrice: 100))) == nil)
        #expect(problem(Self.sale(1, facts: OpFacts(occurredAt: Self.now + 1 + 4 * 60_000))) == nil)
        #expect(problem(Self.sale(1, facts: OpFacts(occurredAt: Self.now + 1 + 6 * 60_000))) == .facts)
        #expect(problem(Self.sale(1, facts: OpFacts(occurredAt: 900_000_000_000))) == .facts)
        #expect(problem(Self.sale(1, facts: OpFacts(unitCost: -1))) == .facts)
        #expect(problem(Self.sale(1, facts: OpFacts(unitPrice: InputRules.maxPriceCents + 1))) == .facts)
        let item = Op(
            id: OpID(origin: Self.origin, seq: 1), hlc: HLC(millis: Self.now), actor: "x",
            payload: .itemUpdate(sku: "A-1", fields: FieldAssignments([.name: .text("x")])),
            facts: OpFacts(unitPrice: 1))
        #expect(problem(item) == .facts)
    }

    @Test func reviewsAndServiceLevelsNeedVersion4() throws {
        let review = Setting(
            namespace: .anomalyReview, key: "store-1:7", value: AnomalyReview(by: "lp", verdict: .shrinkage).text)
        #expect(review.problem == nil && review.protocolVersion == 4 && !review.isLocationScoped)
        #expect(Setting(namespace: .anomalyReview, key: "nope", value: nil).problem != nil)
        #expect(
            Setting(namespace: .anomalyReview, key: "store-1:7", value: "by=lp;verdict=maybe").problem?.contains(
                "verdict")
                == true)
        let rule = ReorderRule(min: 2, max: 10, leadDays: 3, servicePerMille: 950)
        #expect(ReorderRule.parse(rule.text).value == rule)
        #expect(Setting(namespace: .reorderRule, key: "A-1|s", value: rule.text).protocolVersion == 4)
        #expect(
            Setting(namespace: .reorderRule, key: "A-1|s", value: ReorderRule(min: 2, max: 10).text).protocolVersion
                == 3)
        #expect(ReorderRule.parse("max=10;min=2;service=1000").problem != nil)
        let op = Op(
            id: OpID(origin: Self.origin, seq: 1), hlc: HLC(millis: Self.now), actor: "x", payload: .setting(review))
        let bytes = BatchCodec.encode(SyncBatch(node: Self.origin, ops: [op]))
        #expect(bytes[4] == 4)
        #expect(try BatchCodec.decode(bytes).ops == [op])
        // A version-3 batch may not hold the new namespace.
        var old = bytes
        old[4] = 3
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(old) }
    }

    @Test func safetyStockAndTheNormalQuantile() {
        #expect(abs(ReorderQuantity.normalQuantile(0.95) - 1.6448536269514722) < 1e-8)
        #expect(abs(ReorderQuantity.normalQuantile(0.5)) < 1e-12)
        #expect(abs(ReorderQuantity.normalQuantile(0.999) - 3.090232306167813) < 1e-8)
        // z 1.645 × σ 2 × √4 = 6.58 → 7.
        #expect(ReorderQuantity.safetyStock(sigmaPerDay: 2, leadDays: 4, servicePerMille: 950) == 7)
        #expect(ReorderQuantity.safetyStock(sigmaPerDay: 0, leadDays: 4, servicePerMille: 950) == 0)
    }
}
