public import StockroomCore

/// SplitMix64 (the core's, which the isolation forest uses): a tiny, fast, seedable
/// generator, so a failing random test replays exactly.
public typealias SeededGenerator = SplitMix64

extension SeededGenerator {
    /// The seed for a randomized test: `STOCKROOM_SEED` when set (to replay a failure),
    /// otherwise a fresh one. Tests print it in their failure messages.
    public static func testSeed() -> UInt64 {
        if let text = ProcessInfoLite.environment("STOCKROOM_SEED"), let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64.max)
    }
}
