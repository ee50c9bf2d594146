import StockroomTesting
import Testing

@testable import StockroomCore

@Suite struct StockMergeTests {
    let store = NodeID("store-042")!
    let hub = NodeID("hub")!
    let key = StockKey(sku: "SKU-1", location: "store-042")

    func op(_ origin: NodeID, _ seq: UInt64, _ millis: UInt64, _ payload: OpPayload) -> Op {
        Op(id: OpID(origin: origin, seq: seq), hlc: HLC(millis: millis), actor: "t", payload: payload)
    }

    @Test func deltasCommute() {
        let ops = [
            op(store, 1, 10, .delta(key, quantity: 5, reason: .receive)),
            op(store, 2, 11, .delta(key, quantity: -2, reason: .sale)),
            op(hub, 1, 12, .delta(key, quantity: -1, reason: .sale)),
        ]
        for permutation in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            #expect(ReferenceReplica(ops: permutation.map { ops[$0] }).stock()[key] == 2)
        }
    }

    /// DESIGN.md's example: a count of 90 at the store, made while the hub concurrently
    /// recorded an online order of -2 at that store, merges to 88 everywhere.
    @Test func aCountIsAbsoluteAsOfItsCutAndConcurrentDeltasApplyOnTop() {
        let before = op(store, 1, 10, .delta(key, quantity: 100, reason: .receive))
        let sale = op(store, 2, 11, .delta(key, quantity: -3, reason: .sale))
        let count = op(store, 3, 20, .count(key, counted: 90, context: VersionVector([store: 2])))
        let onlineOrder = op(hub, 1, 15, .delta(key, quantity: -2, reason: .sale))
        let later = op(store, 4, 30, .delta(key, quantity: -1, reason: .sale))
        let replica = ReferenceReplica(ops: [before, sale, count, onlineOrder, later])
        #expect(replica.stock()[key] == 87)
        #expect(ReferenceReplica(ops: [before, sale, count, onlineOrder]).stock()[key] == 88)
    }

    @Test func aDeltaInsideTheCutThatArrivesLateChangesNothing() {
        let count = CountRecord(
            id: OpID(origin: hub, seq: 5), hlc: HLC(millis: 50), counted: 10, context: VersionVector([store: 7]))
        let inside = StockMerge.quantity(10, applyingDelta: -4, id: OpID(origin: store, seq: 7), winningCount: count)
        let outside = StockMerge.quantity(10, applyingDelta: -4, id: OpID(origin: store, seq: 8), winningCount: count)
        #expect(inside == 10)
        #expect(outside == 6)
    }

    @Test func ofConcurrentCountsTheHighestStampWinsAndTheLoserIsAConflict() {
        let early = CountRecord(
            id: OpID(origin: store, seq: 1), hlc: HLC(millis: 100), counted: 7, context: VersionVector())
        let late = CountRecord(
            id: OpID(origin: hub, seq: 1), hlc: HLC(millis: 200), counted: 9, context: VersionVector())
        #expect(StockMerge.winningCount(of: [early, late]) == late)
        #expect(StockMerge.winningCount(of: [late, early]) == late)
        let pairs = StockMerge.concurrentCountPairs(newCount: early, others: [late])
        #expect(pairs.count == 1 && pairs[0].winner == late && pairs[0].loser == early)
    }

    @Test func equalTimestampsBreakTiesByOrigin() {
        let a = CountRecord(
            id: OpID(origin: NodeID("a")!, seq: 1), hlc: HLC(millis: 100), counted: 1, context: VersionVector())
        let b = CountRecord(
            id: OpID(origin: NodeID("b")!, seq: 1), hlc: HLC(millis: 100), counted: 2, context: VersionVector())
        #expect(StockMerge.winningCount(of: [a, b]) == b)
    }

    @Test func aCountThatSawAnotherSupersedesItWhateverTheClocksSay() {
        // The hub's clock runs fast; the store counted later, after seeing the hub's count.
        let hubCount = CountRecord(
            id: OpID(origin: hub, seq: 1), hlc: HLC(millis: 9_000), counted: 50, context: VersionVector())
        let storeCount = CountRecord(
            id: OpID(origin: store, seq: 1), hlc: HLC(millis: 1_000), counted: 40, context: VersionVector([hub: 1]))
        #expect(StockMerge.winningCount(of: [hubCount, storeCount]) == storeCount)
        #expect(StockMerge.concurrentCountPairs(newCount: storeCount, others: [hubCount]).isEmpty)
    }

    @Test func negativeCrossingsAreReportedOnce() {
        #expect(StockMerge.negativeCrossing(from: 1, to: -1) == .wentNegative)
        #expect(StockMerge.negativeCrossing(from: -1, to: -3) == .none)
        #expect(StockMerge.negativeCrossing(from: -3, to: 0) == .recovered)
        #expect(StockMerge.negativeCrossing(from: 0, to: 0) == .none)
    }

    @Test func theReferenceStateDoesNotDependOnArrivalOrder() {
        let seed = SeededGenerator.testSeed()
        var generator = RandomOps(seed: seed, origins: 4)
        let ops = generator.take(300)
        let expected = ReferenceReplica(ops: ops).snapshot()
        var shuffler = SeededGenerator(seed: seed ^ 0x5EED)
        for round in 0..<20 {
            let shuffled = ops.shuffled(using: &shuffler)
            #expect(
                ReferenceReplica(ops: shuffled + shuffled.prefix(10)).snapshot() == expected,
                "seed \(seed), round \(round): replay with STOCKROOM_SEED=\(seed)")
        }
    }
}

@Suite struct CatalogueMergeTests {
    let a = NodeID("a")!
    let b = NodeID("b")!

    func op(_ origin: NodeID, _ seq: UInt64, _ millis: UInt64, _ payload: OpPayload) -> Op {
        Op(id: OpID(origin: origin, seq: seq), hlc: HLC(millis: millis), actor: "t", payload: payload)
    }

    func create(_ name: String) -> OpPayload {
        .itemCreate(sku: "X", fields: FieldAssignments([.name: .text(name), .price: .int(100)]))
    }

    @Test func eachFieldIsItsOwnLastWriterWinsRegister() {
        let ops = [
            op(a, 1, 10, create("first")),
            op(a, 2, 30, .itemUpdate(sku: "X", fields: FieldAssignments([.name: .text("by a")]))),
            op(b, 1, 20, .itemUpdate(sku: "X", fields: FieldAssignments([.name: .text("by b"), .price: .int(250)]))),
        ]
        let items = ReferenceReplica(ops: ops.reversed()).items()
        #expect(items["X"]?[.name] == .text("by a"))
        #expect(items["X"]?[.price] == .int(250))
    }

    @Test func anUpdateNeverResurrectsADeletedItem() {
        let ops = [
            op(a, 1, 10, create("x")),
            op(a, 2, 20, .itemDelete(sku: "X")),
            op(b, 1, 30, .itemUpdate(sku: "X", fields: FieldAssignments([.name: .text("late edit")]))),
        ]
        let items = ReferenceReplica(ops: ops).items()
        #expect(!CatalogueMerge.isAlive(items["X"]?[.alive]))
        #expect(items["X"]?[.name] == .text("late edit"))
    }

    @Test func aCreateAfterTheDeleteBringsTheItemBack() {
        let ops = [op(a, 1, 10, create("x")), op(a, 2, 20, .itemDelete(sku: "X")), op(b, 1, 30, create("again"))]
        let items = ReferenceReplica(ops: ops).items()
        #expect(CatalogueMerge.isAlive(items["X"]?[.alive]))
        #expect(items["X"]?[.name] == .text("again"))
    }

    @Test func aDeleteConcurrentWithAnOlderCreateWins() {
        let ops = [op(a, 1, 50, .itemDelete(sku: "X")), op(b, 1, 40, create("x"))]
        #expect(!CatalogueMerge.isAlive(ReferenceReplica(ops: ops).items()["X"]?[.alive]))
    }

    @Test func applyingTheSameOpTwiceWinsNothingTheSecondTime() {
        let stamp = Stamp(hlc: HLC(millis: 10), origin: a)
        let winning = CatalogueMerge.winningAssignments(
            FieldAssignments([.name: .text("n")]), stamp: stamp, currentStamps: [.name: stamp])
        #expect(winning.isEmpty)
    }
}
