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

    /// The seeds of a simulation suite: `STOCKROOM_SEED=S` replays one; otherwise
    /// `STOCKROOM_SIM_SEEDS` of them (default `count`), drawn from ``testSeed()``.
    public static func simulationSeeds(count: Int) -> [UInt64] {
        if let text = ProcessInfoLite.environment("STOCKROOM_SEED"), let seed = UInt64(text) { return [seed] }
        let count = ProcessInfoLite.environment("STOCKROOM_SIM_SEEDS").flatMap { Int($0) } ?? count
        var generator = SeededGenerator(seed: testSeed())
        return (0..<count).map { _ in UInt64.random(in: 1...UInt64.max, using: &generator) }
    }
}
