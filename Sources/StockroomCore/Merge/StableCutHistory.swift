/// The stable cuts a store has received from its hub, with when and under which log epoch
/// (sync-protocol section 15.3, rule K2's delay). A cut is a true statement about the hub
/// as of when it was sent; a hub restored from a backup older than that forgets some of
/// it. So a store compacts only with a cut at least `compact_delay_days` old: a hub
/// restored from a younger backup still holds everything that cut names, and the store
/// still holds what the backup lacks and pushes it again. A cut of another epoch (the hub
/// was restored and said so) is dropped at once.
///
/// Bounded: the newest entry is replaced on every pull; older ones are kept about a day
/// apart, at most ``maxEntries``.
public struct StableCutHistory: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var receivedAtMillis: UInt64
        public var cut: VersionVector
    }

    public static let spacingMillis: UInt64 = 86_400_000
    public static let maxEntries = 40
    public private(set) var epoch: String
    public private(set) var entries: [Entry]

    public init(epoch: String = "", entries: [Entry] = []) {
        self.epoch = epoch
        self.entries = entries
    }

    /// Records `cut`, sent under `epoch` at `nowMillis`.
    public mutating func record(_ cut: VersionVector, epoch: String, nowMillis: UInt64) {
        if epoch != self.epoch {
            self = StableCutHistory(epoch: epoch, entries: [])
        }
        let entry = Entry(receivedAtMillis: nowMillis, cut: cut)
        if entries.count >= 2, nowMillis &- entries[entries.count - 2].receivedAtMillis < Self.spacingMillis {
            entries[entries.count - 1] = entry
        } else {
            entries.append(entry)
            if entries.count > Self.maxEntries { entries.removeFirst(entries.count - Self.maxEntries) }
        }
    }

    /// The newest cut received at least `delayMillis` before `nowMillis`, or nil.
    public func cut(olderThan delayMillis: UInt64, nowMillis: UInt64) -> VersionVector? {
        entries.last { nowMillis >= $0.receivedAtMillis && nowMillis - $0.receivedAtMillis >= delayMillis }?.cut
    }

    /// `epoch|millis=cut|millis=cut…`: the text kept in `meta`.
    public var text: String {
        ([epoch] + entries.map { "\($0.receivedAtMillis)=\($0.cut.compactText)" }).joined(separator: "|")
    }

    /// Parses ``text``; nil when malformed.
    public init?(text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard let epoch = parts.first else { return nil }
        var entries: [Entry] = []
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "="), let at = UInt64(part[..<equals]),
                let cut = VersionVector(compactText: String(part[part.index(after: equals)...]))
            else { return nil }
            entries.append(Entry(receivedAtMillis: at, cut: cut))
        }
        self.init(epoch: epoch, entries: entries)
    }
}
