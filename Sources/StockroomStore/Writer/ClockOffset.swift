import Synchronization

/// Rule T2 (sync-protocol/README.md): an edge stamps its ops with its hub's time when its
/// own clock is more than ``threshold`` off it, so a store whose clock runs days ahead or
/// behind still orders its catalogue edits after what it has seen.
///
/// Kept in memory only: it is learnt again from the first sync after a restart (until
/// then the node stamps with its own clock, as it would offline).
public final class ClockOffset: Sendable {
    /// Below this, clocks are left alone: NTP-disciplined clocks are well within it, and
    /// the measurement is off by up to a round trip.
    public static let thresholdMillis: Int64 = 60_000
    private let value = Atomic<Int64>(0)

    private let lastMeasured = Atomic<Int64>(0)
    private let measuredOnce = Atomic<Bool>(false)

    public init() {}

    /// The hub's clock minus the system clock at the last sync round, in milliseconds,
    /// whether or not it was adopted; nil before the first round (`stockroom_clock_offset_seconds`).
    public var measuredMillis: Int64? {
        measuredOnce.load(ordering: .relaxed) ? lastMeasured.load(ordering: .relaxed) : nil
    }

    /// Milliseconds to add to the system clock (negative when it runs ahead).
    public var millis: Int64 { value.load(ordering: .relaxed) }

    /// Takes the hub's clock reading (`peerMillis`) against the system clock's at the same
    /// moment; returns the new offset when it changed, nil when it did not.
    public func observe(peerMillis: Int64, systemMillis: Int64) -> Int64? {
        let measured = peerMillis - systemMillis
        lastMeasured.store(measured, ordering: .relaxed)
        measuredOnce.store(true, ordering: .relaxed)
        let adopted = abs(measured) > Self.thresholdMillis ? measured : 0
        let current = millis
        // Small wobble around an adopted offset (round-trip noise) changes nothing.
        guard abs(adopted - current) > Self.thresholdMillis / 2 || (adopted == 0 && current != 0) else { return nil }
        value.store(adopted, ordering: .relaxed)
        return adopted
    }
}
