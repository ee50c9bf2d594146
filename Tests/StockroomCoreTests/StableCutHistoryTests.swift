import StockroomCore
import Testing

/// Rule K2's delay (sync-protocol 15.3): a store compacts only with a cut old enough that
/// a hub restored from a younger backup still holds it, and forgets cuts of an old epoch.
@Suite struct StableCutHistoryTests {
    static let day: UInt64 = 86_400_000
    static let store = NodeID("store-1")!

    static func cut(_ seq: UInt64) -> VersionVector { VersionVector([store: seq]) }

    @Test func onlyACutOldEnoughIsUsedAndOneEntryADayIsKept() {
        var history = StableCutHistory()
        let start: UInt64 = 1_000 * Self.day
        // Every pull (here every hour) for 20 days: the store's pushed seq grows by 10 an hour.
        for hour in 0..<(20 * 24) {
            history.record(Self.cut(UInt64(hour) * 10), epoch: "e1", nowMillis: start + UInt64(hour) * Self.day / 24)
        }
        let now = start + 20 * Self.day
        #expect(history.entries.count <= 22, "one entry a day, and the live one: \(history.entries.count)")
        // The newest entry at least 8 days old names at most what the hub held 8 days ago.
        let usable = history.cut(olderThan: 8 * Self.day, nowMillis: now)!
        #expect(usable[Self.store] <= 12 * 24 * 10 && usable[Self.store] >= 11 * 24 * 10, "\(usable)")
        #expect(history.cut(olderThan: 0, nowMillis: now) == Self.cut((20 * 24 - 1) * 10))
        #expect(history.cut(olderThan: 30 * Self.day, nowMillis: now) == nil)
        #expect(StableCutHistory(text: history.text) == history)
    }

    @Test func aNewEpochForgetsEveryOlderCut() {
        var history = StableCutHistory()
        history.record(Self.cut(500), epoch: "e1", nowMillis: 0)
        history.record(Self.cut(520), epoch: "e1", nowMillis: 2 * Self.day)
        history.record(Self.cut(300), epoch: "e2", nowMillis: 10 * Self.day)
        #expect(history.epoch == "e2" && history.entries.count == 1)
        #expect(history.cut(olderThan: 8 * Self.day, nowMillis: 10 * Self.day) == nil)
        #expect(StableCutHistory(text: "e1|x=store-1:3") == nil)
    }
}
