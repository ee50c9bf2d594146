public import StockroomStore

/// What a route needs. The role table lives here and only here; the README prints it.
public enum Permission: String, CaseIterable, Sendable {
    /// Post scans.
    case scan
    /// Read stock, items, history, conflicts, status.
    case read
    /// Create, edit, delete and import catalogue items.
    case catalogue
    /// Read the audit trail (the op log).
    case audit
    /// Place and move orders, transfers, purchase orders and holds.
    case documents
    /// Scrape /metrics.
    case metrics
    /// Manage tokens, trigger sync.
    case admin
    /// Pull and push ops (sync).
    case sync

    public func isGranted(to role: Role) -> Bool {
        switch role {
        case .admin: self != .sync
        case .staff: [.scan, .read, .catalogue, .audit, .metrics, .documents].contains(self)
        case .scanner: [.scan, .read].contains(self)
        case .peer: self == .sync
        }
    }
}
