import StockroomCore

/// What a bearer token may do. See the allow/deny table in the README.
public enum Role: String, CaseIterable, Hashable, Sendable {
    /// Everything, including tokens and the catalogue.
    case admin
    /// Catalogue, scans, reads: the store's staff and operations team.
    case staff
    /// Everything staff may, plus resolving conflicts, reviewing anomalies and setting
    /// reorder rules in the dashboard: a store manager or a buyer. Not users, tokens or
    /// channels.
    case manager
    /// Reads only: an auditor, a head-office analyst, a BI integration.
    case readonly
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

    public init(tokenID: String, role: Role, label: String, node: String?) {
        self.tokenID = tokenID
        self.role = role
        self.label = label
        self.node = node
    }

    /// How the principal is named in the op log's `actor`.
    /// Who an op of this token is by. Labels made before they were checked (finding 23)
    /// are cut to fit the actor rule (OpRules), so such a token can still write.
    public var actorName: String {
        // A person signed in to the dashboard: `user:<name>` (names are checked on creation).
        if tokenID.hasPrefix("user:") { return tokenID }
        // Fast path, every request: a label made since labels are checked.
        if label.utf8.count <= InputRules.maxTokenLabelLength, label.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            return label.isEmpty ? "token:\(tokenID)" : "\(label) (token:\(tokenID))"
        }
        var safe = ""
        for scalar in label.unicodeScalars where !InputRules.isControl(scalar) {
            guard safe.utf8.count + String(scalar).utf8.count <= InputRules.maxTokenLabelLength else { break }
            safe.unicodeScalars.append(scalar)
        }
        return safe.isEmpty ? "token:\(tokenID)" : "\(safe) (token:\(tokenID))"
    }
}
