/// Which ops a pulling peer receives (sync-protocol/README.md, section 4.3).
public enum SyncInterest: Hashable, Sendable {
    /// An edge: every catalogue op, and stock ops at its own locations (its node id, or
    /// `<node id>/…`), from every origin.
    case edge(NodeID)
    /// Only the ops of one origin (the hub pulling an edge's own ops from that edge).
    case origin(NodeID)
    /// Everything (a hub pulling from a hub, tests).
    case everything

    public func concerns(_ op: Op) -> Bool {
        switch self {
        case .everything: return true
        case .origin(let origin): return op.id.origin == origin
        case .edge(let node):
            if case .event(let event) = op.payload {
                return event.locations.contains { Self.isLocation($0, of: node) }
            }
            guard let key = op.payload.stockKey else { return true }
            return Self.isLocation(key.location, of: node)
        }
    }

    /// The nodes an op concerns as an edge's interest, by their ids: nil when it concerns
    /// every edge (catalogue and other ops without a location). The same rule as
    /// ``concerns(_:)`` (`.edge(n)` concerns the op exactly when this is nil or holds `n`),
    /// in a form a database can index: a node id has no `/`, so a location's node is the
    /// part before its first `/`.
    public static func concernedNodes(of op: Op) -> Set<String>? {
        if case .event(let event) = op.payload {
            return Set(event.locations.map { String($0.split(separator: "/", maxSplits: 1).first ?? "") })
        }
        guard let key = op.payload.stockKey else { return nil }
        return [String(key.location.split(separator: "/", maxSplits: 1).first ?? "")]
    }

    /// Whether the server may report coverage of `origin`: only for origins whose every
    /// op it scans for this interest.
    public func reportsCoverage(of origin: NodeID) -> Bool {
        switch self {
        case .everything, .edge: true
        case .origin(let served): origin == served
        }
    }

    /// True for `node` itself and its sub-locations `node/…`.
    public static func isLocation(_ location: String, of node: NodeID) -> Bool {
        location == node.rawValue
            || (location.utf8.count > node.rawValue.utf8.count + 1 && location.hasPrefix(node.rawValue + "/"))
    }
}
