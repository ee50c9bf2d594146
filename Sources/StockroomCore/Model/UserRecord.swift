/// A dashboard user as it is kept, the password's bcrypt hash included: what hub
/// processes that share one PostgreSQL database exchange, so that a user made, disabled
/// or given a new password on one process holds on all within seconds.
///
/// Last writer wins per user, by ``version`` (the writer's wall-clock milliseconds, at
/// least one more than the version it replaced, then its node name to break ties): two
/// processes that change one user at once end with the same row. The last sign-in is
/// merged apart (the latest wins) so that signing in never overwrites an edit.
public struct UserRecord: Hashable, Sendable {
    public var name: String
    public var displayName: String
    public var role: String
    public var passwordHash: String
    /// Seconds since 1970.
    public var createdAt: Int64
    public var passwordChangedAt: Int64
    public var disabledAt: Int64?
    public var lastSignInAt: Int64?
    public var versionMillis: Int64
    public var versionNode: String

    public init(
        name: String, displayName: String, role: String, passwordHash: String, createdAt: Int64,
        passwordChangedAt: Int64, disabledAt: Int64?, lastSignInAt: Int64?, versionMillis: Int64, versionNode: String
    ) {
        self.name = name
        self.displayName = displayName
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt
        self.disabledAt = disabledAt
        self.lastSignInAt = lastSignInAt
        self.versionMillis = versionMillis
        self.versionNode = versionNode
    }

    /// Whether this record's edit replaces `other`'s (same user): the later version wins.
    public func supersedes(_ other: UserRecord) -> Bool {
        (versionMillis, versionNode) > (other.versionMillis, other.versionNode)
    }

    /// What a process has published of this user: a change to either means publish again.
    public var publication: Publication {
        Publication(versionMillis: versionMillis, versionNode: versionNode, lastSignInAt: lastSignInAt)
    }

    public struct Publication: Hashable, Sendable {
        public var versionMillis: Int64
        public var versionNode: String
        public var lastSignInAt: Int64?
    }
}
