/// What one pull answer or push request carries (sync-protocol/README.md, section 5).
public struct SyncBatch: Hashable, Sendable {
    public static let maxOps = 20_000
    /// The most strings a batch's string table may declare: enough for `maxOps` item
    /// creates with every text field and barcode distinct, and a bound on what decoding
    /// allocates (section 6).
    public static let maxStrings = 1 << 19
    /// The most causal-context entries all the counts of one batch may carry together.
    public static let maxContextEntries = 1 << 20

    /// The node that produced the batch.
    public var node: NodeID
    /// The producer's log epoch (pull answers); empty for pushes.
    public var epoch: String
    /// The producer's lsn up to which this batch covers the puller's interest.
    public var cursor: UInt64
    /// More ops are waiting after this batch.
    public var more: Bool
    /// Per origin, the highest seq the producer scanned for this batch (section 4.3).
    public var coverage: VersionVector
    public var ops: [Op]

    public init(
        node: NodeID, epoch: String = "", cursor: UInt64 = 0, more: Bool = false,
        coverage: VersionVector = VersionVector(), ops: [Op]
    ) {
        self.node = node
        self.epoch = epoch
        self.cursor = cursor
        self.more = more
        self.coverage = coverage
        self.ops = ops
    }
}
