/// The clock a node stamps its ops with (Kulkarni et al., "Logical Physical Clocks").
///
/// A value type: the caller owns it, feeds it wall-clock readings, and persists nothing —
/// on restart the clock is re-seeded from the highest HLC in the op log with
/// ``observe(_:)``, so timestamps never go backwards across a crash even if the wall
/// clock does.
public struct HybridLogicalClock: Sendable {
    /// The last timestamp issued or observed.
    public private(set) var last: HLC

    /// How far ahead of our own wall clock a peer's timestamp may be before we refuse to
    /// follow it (rule "clock bounds" in sync-protocol/README.md). Default: 5 minutes.
    public var maxForwardDrift: UInt64

    public init(last: HLC = .zero, maxForwardDrift: UInt64 = 5 * 60 * 1000) {
        self.last = last
        self.maxForwardDrift = maxForwardDrift
    }

    /// Issues a timestamp for a local event: strictly greater than every timestamp issued
    /// or observed before, and never behind `wallMillis`.
    public mutating func tick(wallMillis: UInt64) -> HLC {
        if wallMillis > last.millis {
            last = HLC(millis: wallMillis, logical: 0)
        } else if last.logical < HLC.maxLogical {
            last = HLC(millis: last.millis, logical: last.logical + 1)
        } else {
            // The logical counter is exhausted within one millisecond: borrow the next one.
            last = HLC(millis: last.millis + 1, logical: 0)
        }
        return last
    }

    /// What happened when a remote timestamp was observed.
    public enum Observation: Equatable, Sendable {
        /// The clock followed the remote timestamp (or was already past it).
        case accepted
        /// The remote timestamp was beyond `wall + maxForwardDrift`; the clock did not move
        /// at all. The op is still valid, but the skew is reported as a conflict.
        case clamped(bound: HLC)
    }

    /// Merges a timestamp seen on an incoming op so later local ops sort after it.
    ///
    /// A timestamp further ahead of `wallMillis` than ``maxForwardDrift`` does not move the
    /// clock at all: one peer with a wrong clock must not push every node into the future,
    /// not even by the drift bound (finding 21 of issue #11: following it to the bound had
    /// dragged the hub's own stamps five minutes ahead).
    public mutating func observe(_ remote: HLC, wallMillis: UInt64) -> Observation {
        let bound = HLC(millis: wallMillis + maxForwardDrift, logical: 0)
        if remote > bound { return .clamped(bound: bound) }
        if remote > last { last = remote }
        return .accepted
    }

    /// Re-seeds the clock from a timestamp known to be in the log (startup, restore).
    public mutating func observe(_ persisted: HLC) {
        if persisted > last { last = persisted }
    }
}
