/// The JSON messages of sync (sync-protocol/README.md, sections 4.1 and 4.2), shared by
/// the server routes and the client so the two cannot drift apart.
public struct PullRequest: Codable, Sendable {
    public var protocolVersion: Int
    public var node: String
    public var epoch: String
    public var cursor: UInt64
    public var maxOps: Int?
    /// Sent (true) only by a blank store that is recovering (section 15): it writes
    /// nothing until the pull ends, so the hub may leave out what rule K1 lets go.
    public var snapshot: Bool?

    public init(node: String, epoch: String, cursor: UInt64, maxOps: Int?, snapshot: Bool? = nil) {
        self.protocolVersion = SyncMessages.protocolVersion
        self.node = node
        self.epoch = epoch
        self.cursor = cursor
        self.maxOps = maxOps
        self.snapshot = snapshot
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", node, epoch, cursor, maxOps = "max_ops", snapshot
    }
}

public struct PushResponse: Codable, Sendable {
    public var protocolVersion: Int
    public var node: String
    public var applied: Int
    public var duplicates: Int
    public var clamped: Int
    public var highSeq: UInt64

    public init(
        node: String, applied: Int, duplicates: Int, clamped: Int, highSeq: UInt64,
        protocolVersion: Int = SyncMessages.protocolVersion
    ) {
        self.protocolVersion = protocolVersion
        self.node = node
        self.applied = applied
        self.duplicates = duplicates
        self.clamped = clamped
        self.highSeq = highSeq
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", node, applied, duplicates, clamped, highSeq = "high_seq"
    }
}

/// The protocol version this node speaks and sends (sync-protocol section 8). It also
/// answers version 1: a hub of this version syncs with stores of the previous release.
public enum SyncMessages {
    public static let protocolVersion = 5
    public static let supportedVersions = 1...5
}
