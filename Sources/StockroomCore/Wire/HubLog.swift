/// What a hub's op log must do (sync-protocol/README.md, section 14): record each origin's
/// pushed ops exactly once and in seq order, and serve pulls by position so that no op is
/// ever skipped. The SQLite store and the PostgreSQL log are its two implementations, and
/// one conformance suite (`HubLogConformance` in the tests) runs against both.
///
/// A log holds ops, not state: it applies no merge rule. Whoever serves a push checks the
/// ops against ``OpRules`` before they are appended, and every replica merges with the
/// same core rules (``StockMerge``, ``CatalogueMerge``).
public protocol HubLog: Sendable {
    /// The log's identity as pullers see it: the hub's node id and the epoch of this log.
    /// The same for every process that serves it.
    func identity() async throws -> HubLogIdentity

    /// Appends ops pushed by `origin`, exactly once. Idempotent: ops at or below the
    /// origin's recorded high seq are counted as duplicates and not stored again, even
    /// when two callers append the same batch at once.
    ///
    /// Throws ``HubLogRefusal`` when an op is of another origin, or when the fresh ops do
    /// not continue the origin's log without a gap; nothing is appended then. Survives a
    /// crash: an append that returned is durable, one that threw may be retried.
    func appendPushed(_ ops: [Op], from origin: NodeID) async throws -> HubLogAppend

    /// The ops after `cursor` that concern `interest`, at most `limit` of them unless one
    /// stored unit holds more (never more than ``SyncBatch/maxOps``), in position order,
    /// with the coverage they give and the cursor to resume from. A cursor of another epoch
    /// restarts from 0. Positions grow in commit order, so an op that commits late is never
    /// behind a cursor already handed out.
    ///
    /// `omitting`: ops that concern the puller and may be left out all the same (a
    /// snapshot, rule K1 of section 15.2); they count in the coverage.
    func pull(
        epoch: String, cursor: UInt64, interest: SyncInterest, limit: Int, protocolVersion: Int,
        omitting: (@Sendable (Op) -> Bool)?
    ) async throws
        -> SyncBatch

    /// The last position handed out (for the `Stockroom-Log-End` header).
    func head() async throws -> UInt64

    /// The highest seq of `origin` in the log (0 when none).
    func highSeq(of origin: NodeID) async throws -> UInt64
}

public struct HubLogIdentity: Hashable, Sendable {
    public var node: NodeID
    public var epoch: String

    public init(node: NodeID, epoch: String) {
        self.node = node
        self.epoch = epoch
    }
}

/// What one append did.
public struct HubLogAppend: Hashable, Sendable {
    public var appended: Int
    public var duplicates: Int
    /// The origin's high seq after the append.
    public var highSeq: UInt64

    public init(appended: Int, duplicates: Int, highSeq: UInt64) {
        self.appended = appended
        self.duplicates = duplicates
        self.highSeq = highSeq
    }
}

/// Why a hub log refused an append whole.
public enum HubLogRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case foreignOrigin(op: String, origin: String)
    case sequenceGap(origin: String, expected: UInt64, got: UInt64)

    public var description: String {
        switch self {
        case .foreignOrigin(let op, let origin):
            "op \(op) is not of origin '\(origin)': a node may push only its own ops; the hub relays the rest"
        case .sequenceGap(let origin, let expected, let got):
            "ops of origin '\(origin)' must continue at seq \(expected), got \(got); resend from \(expected)"
        }
    }

    /// Checks that `ops` are all of `origin` and, past `highSeq`, continue it one seq at a
    /// time. Returns the fresh ops (those past `highSeq`).
    public static func freshOps(_ ops: [Op], from origin: NodeID, highSeq: UInt64) throws(HubLogRefusal) -> [Op] {
        if let foreign = ops.first(where: { $0.id.origin != origin }) {
            throw .foreignOrigin(op: foreign.id.description, origin: origin.rawValue)
        }
        var expected = highSeq + 1
        var fresh: [Op] = []
        for op in ops where op.id.seq > highSeq {
            guard op.id.seq == expected else {
                throw .sequenceGap(origin: origin.rawValue, expected: expected, got: op.id.seq)
            }
            fresh.append(op)
            expected += 1
        }
        return fresh
    }
}

extension HubLog {
    /// A pull that leaves nothing out.
    public func pull(
        epoch: String, cursor: UInt64, interest: SyncInterest, limit: Int, protocolVersion: Int
    ) async throws -> SyncBatch {
        try await pull(
            epoch: epoch, cursor: cursor, interest: interest, limit: limit, protocolVersion: protocolVersion,
            omitting: nil)
    }
}

/// The part of serving a pull that does not depend on storage: which ops a puller gets, in
/// what form, and what coverage the answer may claim (sections 4.3, 8 and 12). Both hub
/// logs run every op they scan through it.
public struct PullFilter: Sendable {
    public let interest: SyncInterest
    public let protocolVersion: Int
    public private(set) var ops: [Op] = []
    public private(set) var coverage = VersionVector()
    /// Rules K1 (section 15.2): ops that concern the puller but may be left out of a
    /// snapshot. They count in coverage as scanned.
    public let omitting: (@Sendable (Op) -> Bool)?

    public init(interest: SyncInterest, protocolVersion: Int, omitting: (@Sendable (Op) -> Bool)? = nil) {
        self.interest = interest
        self.protocolVersion = protocolVersion
        self.omitting = omitting
    }

    /// Records coverage of ops that were skipped unread because none concerns the puller
    /// (a log that knows what its stored batches concern).
    public mutating func cover(_ origin: NodeID, upTo seq: UInt64) {
        if interest.reportsCoverage(of: origin) { coverage[origin] = max(coverage[origin], seq) }
    }

    /// Takes one op of the log, in position order.
    public mutating func scan(_ op: Op) {
        if interest.reportsCoverage(of: op.id.origin) {
            coverage[op.id.origin] = max(coverage[op.id.origin], op.id.seq)
        }
        // A puller of an older protocol is sent only the kinds it knows, and no business
        // facts below protocol 4; once upgraded it pulls again from 0 and gets the rest.
        guard interest.concerns(op), op.payload.protocolVersion <= protocolVersion else { return }
        if let omitting, omitting(op) { return }
        var sent = op
        if protocolVersion < 4 { sent.facts = nil }
        ops.append(sent)
    }
}
