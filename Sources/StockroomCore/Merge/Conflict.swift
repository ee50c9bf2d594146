/// Something the merge rules resolved that an operator should see.
public enum ConflictKind: String, CaseIterable, Sendable {
    /// Rule S4: a cell went below zero (for example two offline stores sold the last unit).
    case oversell
    /// Rule S3: two counts of one cell were made concurrently; the lower (hlc, origin) lost.
    case concurrentCount = "concurrent_count"
    /// Rule T1: a peer's timestamp was too far in the future and the clock was clamped.
    case clockClamped = "clock_clamped"
}
