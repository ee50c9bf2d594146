/// SplitMix64: a tiny, fast, seedable generator, so a failing random test replays exactly.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// The seed for a randomized test: `STOCKROOM_SEED` when set (to replay a failure),
    /// otherwise a fresh one. Tests print it in their failure messages.
    public static func testSeed() -> UInt64 {
        if let text = ProcessInfoLite.environment("STOCKROOM_SEED"), let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64.max)
    }
}
