public import Foundation

/// A bearer token as it is kept, its secret's digest included (never the secret: none is
/// stored): what hub processes that share one PostgreSQL database exchange, so that a
/// token made or revoked on one holds on all.
public struct TokenRecord: Hashable, Sendable {
    public var id: String
    public var role: String
    public var node: String?
    public var label: String
    public var secretSHA256: Data
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(
        id: String, role: String, node: String?, label: String, secretSHA256: Data, createdAt: Int64,
        revokedAt: Int64?
    ) {
        self.id = id
        self.role = role
        self.node = node
        self.label = label
        self.secretSHA256 = secretSHA256
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
