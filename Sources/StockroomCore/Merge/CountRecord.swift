/// A stock count as the merge rules see it: who counted, when, what, and what they had seen.
public struct CountRecord: Hashable, Sendable {
    public var id: OpID
    public var hlc: HLC
    public var counted: Int64
    /// The counter's version vector at the moment of counting (the causal cut).
    public var context: VersionVector

    public init(id: OpID, hlc: HLC, counted: Int64, context: VersionVector) {
        self.id = id
        self.hlc = hlc
        self.counted = counted
        self.context = context
    }

    public var stamp: Stamp { Stamp(hlc: hlc, origin: id.origin) }

    /// True when this count was made after seeing `other` (so `other` is superseded, not
    /// in conflict).
    public func happenedAfter(_ other: CountRecord) -> Bool { context.contains(other.id) }

    /// True when neither count had seen the other.
    public func isConcurrent(with other: CountRecord) -> Bool {
        id != other.id && !happenedAfter(other) && !other.happenedAfter(self)
    }
}
