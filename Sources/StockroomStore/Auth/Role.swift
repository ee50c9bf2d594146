/// What a bearer token may do. See the allow/deny table in the README.
public enum Role: String, CaseIterable, Hashable, Sendable {
    /// Everything, including tokens and the catalogue.
    case admin
    /// Catalogue, scans, reads: the store's staff and operations team.
    case staff
    /// Scans and reads only: barcode scanners and tills.
    case scanner
    /// Sync only, bound to one node id: another Stockroom node.
    case peer
}

/// Who a request is: the token's id, role and (for peers) node.
public struct Principal: Hashable, Sendable {
    public var tokenID: String
    public var role: Role
    public var label: String
    public var node: String?

    /// How the principal is named in the op log's `actor`.
    public var actorName: String { label.isEmpty ? "token:\(tokenID)" : "\(label) (token:\(tokenID))" }
}
