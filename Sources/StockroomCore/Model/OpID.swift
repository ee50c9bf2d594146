/// The identity of an op: the node that wrote it and its position in that node's log.
///
/// `seq` counts up from 1 per origin with no gaps, which is what lets a ``VersionVector``
/// summarise "everything up to here" in one number per origin.
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var origin: NodeID
    public var seq: UInt64

    public init(origin: NodeID, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    /// `origin:seq`, the form used in JSON and logs.
    public var description: String { "\(origin.rawValue):\(seq)" }

    /// Parses the `origin:seq` form; nil when malformed.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"),
            let origin = NodeID(String(text[..<colon])),
            let seq = UInt64(text[text.index(after: colon)...]), seq > 0
        else { return nil }
        self.init(origin: origin, seq: seq)
    }

    public static func < (lhs: OpID, rhs: OpID) -> Bool {
        (lhs.origin, lhs.seq) < (rhs.origin, rhs.seq)
    }
}
