import StockroomCore
import Testing

/// Sync-protocol section 3.1: one validation for every op. Each test is named after the
/// finding of issue #11 it proves fixed, or the rule it holds.
@Suite struct OpRulesTests {
    static let store = NodeID("store-1")!
    static let wall: UInt64 = 1_800_000_000_000

    static func op(
        _ payload: OpPayload, seq: UInt64 = 1, millis: UInt64 = wall, actor: String = "till (token:abc)",
        device: String? = "till-1", scanID: String? = nil, origin: NodeID = store
    ) -> Op {
        Op(
            id: OpID(origin: origin, seq: seq), hlc: HLC(millis: millis), actor: actor, device: device,
            scanID: scanID, payload: payload)
    }

    static func delta(_ quantity: Int64, _ reason: StockReason, at location: String = "store-1") -> Op {
        op(.delta(StockKey(sku: "A-1", location: location), quantity: quantity, reason: reason))
    }

    static func rule(_ op: Op, locations: LocationPolicy? = .own(store)) -> OpRule? {
        OpRules.check(op, locations: locations, wallMillis: wall)?.rule
    }

    @Test func validOpsOfEveryKindPass() {
        #expect(Self.rule(Self.delta(-2, .sale)) == nil)
        #expect(Self.rule(Self.delta(3, .receive)) == nil)
        #expect(Self.rule(Self.delta(-4, .adjust)) == nil)
        #expect(Self.rule(Self.delta(4, .transfer, at: "store-1/backroom")) == nil)
        #expect(
            Self.rule(Self.op(.count(StockKey(sku: "A-1", location: "store-1"), counted: 0, context: .init()))) == nil)
        let create = Self.op(.itemCreate(sku: "A-1", fields: FieldAssignments([.name: .text("Apple")])))
        #expect(Self.rule(create) == nil)
        #expect(Self.rule(Self.op(.itemUpdate(sku: "A-1", fields: FieldAssignments([.price: .int(199)])))) == nil)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"))) == nil)
    }

    /// Finding 5: a pushed delta of Int64.max made stock wrap.
    @Test func aDeltaOfInt64MaxIsRefused() {
        #expect(Self.rule(Self.delta(.max, .adjust)) == .quantity)
        #expect(Self.rule(Self.delta(.min, .adjust)) == .quantity)
        #expect(Self.rule(Self.delta(.max, .receive)) == .quantity)
    }

    /// Finding 7: quantities the API refuses, pushed.
    @Test func quantitiesTheAPIRefusesAreRefusedFromPeers() {
        #expect(Self.rule(Self.delta(0, .adjust)) == .quantity)
        #expect(Self.rule(Self.delta(1_000_001, .receive)) == .quantity)
        #expect(Self.rule(Self.delta(5, .sale)) == .quantity, "a sale of +5 adds units")
        #expect(Self.rule(Self.delta(-5, .receive)) == .quantity)
        let count = Self.op(.count(StockKey(sku: "A-1", location: "store-1"), counted: -7, context: .init()))
        #expect(Self.rule(count) == .quantity)
        let huge = Self.op(.count(StockKey(sku: "A-1", location: "store-1"), counted: 1_000_001, context: .init()))
        #expect(Self.rule(huge) == .quantity)
    }

    /// Finding 1 and 7: catalogue values of the wrong type or range.
    @Test func catalogueValuesOfTheWrongTypeOrRangeAreRefused() {
        func update(_ field: ItemField, _ value: FieldValue) -> OpRule? {
            Self.rule(Self.op(.itemUpdate(sku: "A-1", fields: FieldAssignments([field: value]))))
        }
        #expect(update(.price, .text("12.99")) == .field, "finding 1: a text price poisoned the chain")
        #expect(update(.price, .int(-1)) == .field)
        #expect(update(.threshold, .int(-3)) == .field)
        #expect(update(.name, .int(5)) == .field)
        #expect(update(.name, .text(String(repeating: "x", count: 900_000))) == .field)
        #expect(update(.name, .text("two\nlines")) == .field, "finding 25: one rule for names everywhere")
        #expect(update(.barcodes, .texts(["4006381333932"])) == .field, "bad check digit")
        #expect(update(.barcodes, .text("4006381333931")) == .field)
        let nameless = Self.op(.itemCreate(sku: "A-1", fields: FieldAssignments([.price: .int(5)])))
        #expect(Self.rule(nameless) == .field, "an item with no name")
        #expect(Self.rule(Self.op(.itemUpdate(sku: "A-1", fields: FieldAssignments()))) == .field)
    }

    /// Finding 7: `item_update` assigning `alive` resurrected and created ghost items.
    @Test func assigningAliveIsRefused() {
        #expect(Self.rule(Self.op(.itemUpdate(sku: "A-1", fields: FieldAssignments([.alive: .int(1)])))) == .alive)
        let create = Self.op(.itemCreate(sku: "A-1", fields: FieldAssignments([.name: .text("A"), .alive: .int(0)])))
        #expect(Self.rule(create) == .alive)
    }

    /// Finding 7: control characters and NUL bytes in actor and device; bad SKUs.
    @Test func identifiersWithControlCharactersAreRefused() {
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), actor: "evil\u{0}")) == .identifier)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), actor: "line\nbreak")) == .identifier)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), actor: "")) == .identifier)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), actor: String(repeating: "a", count: 129))) == .identifier)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), device: "till\u{1b}[2J")) == .identifier)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A 1 "))) == .identifier)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), scanID: "")) == .identifier)
    }

    /// Finding 9: a catalogue op stamped in the year 6429 pinned a field for good.
    @Test func catalogueOpsFarInTheFutureAreRefusedStockOpsAreNot() {
        let year6429: UInt64 = 140_000_000_000_000
        let update = Self.op(
            .itemUpdate(sku: "A-1", fields: FieldAssignments([.name: .text("Pinned")])), millis: year6429)
        #expect(Self.rule(update) == .clock)
        #expect(Self.rule(Self.op(.itemDelete(sku: "A-1"), millis: year6429)) == .clock)
        let sale = Self.op(
            .delta(StockKey(sku: "A-1", location: "store-1"), quantity: -1, reason: .sale), millis: year6429)
        #expect(Self.rule(sale) == nil, "rule T1: a wrong clock never loses a scan")
        let hourAhead = Self.op(
            .itemUpdate(sku: "A-1", fields: FieldAssignments([.name: .text("Soon")])), millis: Self.wall + 3_600_000)
        #expect(Self.rule(hourAhead) == nil, "within a day, rule T1 clamps and flags instead")
    }

    /// Finding 12: a store wrote stock at another store's location.
    @Test func storesWriteOnlyTheirOwnLocationsAndGrants() {
        #expect(Self.rule(Self.delta(-1, .sale, at: "store-2")) == .location)
        #expect(Self.rule(Self.delta(-1, .sale, at: "store-10")) == .location, "a prefix is not a sub-location")
        #expect(Self.rule(Self.delta(-1, .sale, at: "store-1/backroom")) == nil)
        let granted = LocationPolicy.own(Self.store, extra: ["warehouse-east"])
        #expect(Self.rule(Self.delta(3, .receive, at: "warehouse-east"), locations: granted) == nil)
        #expect(Self.rule(Self.delta(-1, .sale, at: "store-2"), locations: .anywhere) == nil, "the hub")
        #expect(Self.rule(Self.delta(-1, .sale, at: "store-2"), locations: nil) == nil, "relayed by the hub")
        #expect(Self.rule(Self.delta(-1, .sale, at: " store-2"), locations: nil) == .location)
    }

    @Test func aBatchNamesTheIndexAndRuleOfItsFirstBadOp() {
        let ops = [Self.delta(-1, .sale), Self.delta(-1, .sale), Self.delta(7, .sale)].enumerated().map { index, op in
            var op = op
            op.id.seq = UInt64(index + 1)
            return op
        }
        let violation = OpRules.checkBatch(ops, wallMillis: Self.wall) { _ in .own(Self.store) }
        #expect(violation?.index == 2 && violation?.rule == .quantity)
        #expect(violation?.description.contains("op 2 of the batch (store-1:3) breaks rule 'quantity'") == true)
    }

    /// Rule S5: quantity sums saturate instead of trapping or wrapping.
    @Test func quantityArithmeticSaturates() {
        #expect(StockMerge.sum(.max, 1) == .max)
        #expect(StockMerge.sum(.min, -1) == .min)
        #expect(StockMerge.sum(5, -7) == -2)
    }
}

/// Issue #11 findings 19 and 25 for the catalogue CSV: what Excel writes is read, what
/// would be misread is refused with its line, and the CSV meets the API's rules.
@Suite struct CatalogCSVHostileTests {
    @Test func aByteOrderMarkIsReadLikeExcelMeantIt() throws {
        let rows = try CatalogCSV.parse(bytes: [0xEF, 0xBB, 0xBF] + Array("sku,name\nA-1,Apple\n".utf8)).get()
        #expect(rows.map(\.sku) == ["A-1"])
    }

    @Test func latin1BytesAreRefusedWithTheirLine() {
        let bytes = Array("sku,name\nA-1,Apple\nB-2,Cr".utf8) + [0xE8] + Array("me\n".utf8)
        guard case .failure(let problems) = CatalogCSV.parse(bytes: bytes) else {
            Issue.record("Latin-1 bytes were accepted")
            return
        }
        #expect(problems.all.first?.line == 3)
        #expect(problems.all.first?.message.contains("UTF-8") == true)
    }

    @Test func aDuplicatedHeaderIsRefused() {
        guard case .failure(let problems) = CatalogCSV.parse("sku,name,price,price\nA-1,Apple,1.00,2.00\n") else {
            Issue.record("a duplicated column was accepted")
            return
        }
        #expect(problems.all.contains { $0.message.contains("'price' appears twice") })
    }

    @Test func aNewlineInANameIsRefusedAsByTheAPI() {
        guard case .failure(let problems) = CatalogCSV.parse("sku,name\nA-1,\"two\nlines\"\n") else {
            Issue.record("a two-line name was accepted")
            return
        }
        #expect(problems.all.first?.line == 2, "\(problems)")
    }
}
