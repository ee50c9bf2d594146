import Testing

@testable import StockroomCore

@Suite struct HLCTests {
    @Test func packingRoundTripsAndSortsLikeTheTimestamp() {
        let a = HLC(millis: 1_795_000_000_000, logical: 7)
        let b = HLC(millis: 1_795_000_000_000, logical: 8)
        let c = HLC(millis: 1_795_000_000_001, logical: 0)
        #expect(HLC(packed: a.packed) == a)
        #expect(a < b && b < c)
        #expect(a.packed < b.packed && b.packed < c.packed)
        #expect(HLC(validatingPacked: -1) == nil)
    }

    @Test func tickIsStrictlyMonotonicWhenTheWallClockStallsOrGoesBack() {
        var clock = HybridLogicalClock()
        let first = clock.tick(wallMillis: 1000)
        let second = clock.tick(wallMillis: 1000)
        let third = clock.tick(wallMillis: 900)
        let fourth = clock.tick(wallMillis: 2000)
        #expect(first < second && second < third && third < fourth)
        #expect(third.millis == 1000 && third.logical == 2)
        #expect(fourth == HLC(millis: 2000, logical: 0))
    }

    @Test func logicalOverflowBorrowsTheNextMillisecond() {
        var clock = HybridLogicalClock(last: HLC(millis: 5, logical: .max))
        #expect(clock.tick(wallMillis: 5) == HLC(millis: 6, logical: 0))
    }

    @Test func observingARemoteTimestampMovesTheClockPastIt() {
        var clock = HybridLogicalClock()
        #expect(clock.observe(HLC(millis: 10_000, logical: 3), wallMillis: 9_000) == .accepted)
        #expect(clock.tick(wallMillis: 9_000) == HLC(millis: 10_000, logical: 4))
    }

    /// Issue #11 finding 21: a far-future op does not drag this node's stamps at all, not
    /// even to the drift bound.
    @Test func aFarFutureTimestampDoesNotMoveTheClock() {
        var clock = HybridLogicalClock(maxForwardDrift: 1000)
        _ = clock.tick(wallMillis: 10_000)
        let observation = clock.observe(HLC(millis: 50_000), wallMillis: 10_000)
        #expect(observation == .clamped(bound: HLC(millis: 11_000)))
        #expect(clock.last == HLC(millis: 10_000))
        #expect(clock.tick(wallMillis: 10_001) == HLC(millis: 10_001))
    }
}

@Suite struct VersionVectorTests {
    let a = NodeID("a")!
    let b = NodeID("b")!

    @Test func containsAndAdvance() {
        var vector = VersionVector([a: 3])
        #expect(vector.contains(OpID(origin: a, seq: 3)))
        #expect(!vector.contains(OpID(origin: a, seq: 4)))
        #expect(!vector.contains(OpID(origin: b, seq: 1)))
        vector.advance(to: OpID(origin: a, seq: 2))
        #expect(vector[a] == 3)
    }

    @Test func mergeIsPointwiseMaximumAndIncludesBoth() {
        let x = VersionVector([a: 3, b: 1])
        let y = VersionVector([a: 1, b: 5])
        let merged = x.merging(y)
        #expect(merged == VersionVector([a: 3, b: 5]))
        #expect(merged.includes(x) && merged.includes(y))
        #expect(!x.includes(y))
    }

    @Test func compactTextRoundTripsAndRejectsGarbage() {
        let vector = VersionVector([b: 12, a: 7])
        #expect(vector.compactText == "a:7,b:12")
        #expect(VersionVector(compactText: vector.compactText) == vector)
        #expect(VersionVector(compactText: "") == VersionVector())
        for bad in ["a", "a:x", "a:1,a:2", ":3", "a:0", "a:1,"] {
            #expect(VersionVector(compactText: bad) == nil, "accepted \(bad)")
        }
    }

    @Test func nodeIDsAreRestricted() {
        #expect(NodeID("store-042") != nil)
        #expect(NodeID("") == nil)
        #expect(NodeID("a b") == nil)
        #expect(NodeID("x/y") == nil)
        #expect(NodeID(String(repeating: "n", count: 65)) == nil)
    }
}
