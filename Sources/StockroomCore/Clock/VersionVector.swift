/// What a node has seen: for each origin, the highest seq it holds with no gaps below it.
///
/// Used as the causal context of a stock count (rule "counts are absolute as of a causal
/// cut") and, in sync, as the summary a puller sends.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    public private(set) var entries: [NodeID: UInt64]

    public init(_ entries: [NodeID: UInt64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    public subscript(origin: NodeID) -> UInt64 {
        get { entries[origin] ?? 0 }
        set { entries[origin] = newValue == 0 ? nil : newValue }
    }

    /// True when the op with this id is inside the cut.
    public func contains(_ id: OpID) -> Bool { id.seq <= self[id.origin] }

    /// Records that `id` is held. Callers keep seqs gap-free; this only moves forward.
    public mutating func advance(to id: OpID) {
        if id.seq > self[id.origin] { self[id.origin] = id.seq }
    }

    /// Pointwise maximum.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        for (origin, seq) in other.entries where seq > result[origin] { result[origin] = seq }
        return result
    }

    /// The entries of `origins` only.
    public func restricted(to origins: Set<NodeID>) -> VersionVector {
        VersionVector(entries.filter { origins.contains($0.key) })
    }

    /// Pointwise minimum: the ops inside both cuts.
    public func meeting(_ other: VersionVector) -> VersionVector {
        var result = VersionVector()
        for (origin, seq) in entries { result[origin] = min(seq, other[origin]) }
        return result
    }

    /// True when every op inside `other` is also inside `self`.
    public func includes(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Entries sorted by origin: the canonical order for encoding and hashing.
    public var sortedEntries: [(origin: NodeID, seq: UInt64)] {
        entries.sorted { $0.key < $1.key }.map { (origin: $0.key, seq: $0.value) }
    }

    public var description: String {
        "{" + sortedEntries.map { "\($0.origin):\($0.seq)" }.joined(separator: ",") + "}"
    }
}

extension VersionVector {
    /// `origin:seq,origin:seq` sorted by origin: the text form kept in the database.
    public var compactText: String {
        sortedEntries.map { "\($0.origin.rawValue):\($0.seq)" }.joined(separator: ",")
    }

    /// Parses ``compactText``; nil when malformed.
    public init?(compactText: String) {
        var entries: [NodeID: UInt64] = [:]
        if !compactText.isEmpty {
            for part in compactText.split(separator: ",", omittingEmptySubsequences: false) {
                guard let id = OpID(String(part)), entries[id.origin] == nil else { return nil }
                entries[id.origin] = id.seq
            }
        }
        self.init(entries)
    }
}
