/// A hybrid logical clock timestamp: wall-clock milliseconds plus a logical counter.
///
/// Packed into one `Int64` as `millis << 16 | logical`, so the packed form sorts exactly
/// like the timestamp and fits an SQLite integer column. 48 bits of milliseconds last
/// until the year 10889.
public struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let logicalBits: UInt64 = 16
    public static let maxLogical: UInt16 = .max

    public var millis: UInt64
    public var logical: UInt16

    public init(millis: UInt64, logical: UInt16 = 0) {
        precondition(millis < (1 << 47), "HLC milliseconds out of range")
        self.millis = millis
        self.logical = logical
    }

    public init(packed: Int64) {
        let bits = UInt64(bitPattern: packed)
        self.millis = bits >> Self.logicalBits
        self.logical = UInt16(truncatingIfNeeded: bits)
    }

    /// Nil when the packed value is negative or out of range (a hostile or corrupt input).
    public init?(validatingPacked packed: Int64) {
        guard packed >= 0 else { return nil }
        self.init(packed: packed)
    }

    public var packed: Int64 { Int64(bitPattern: millis << Self.logicalBits | UInt64(logical)) }

    public static let zero = HLC(millis: 0, logical: 0)

    public static func < (lhs: HLC, rhs: HLC) -> Bool { lhs.packed < rhs.packed }

    public var description: String { "\(millis).\(logical)" }
}
