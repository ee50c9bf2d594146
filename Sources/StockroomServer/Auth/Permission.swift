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
    /// In the dashboard: resolve conflicts, review anomalies, set reorder rules, draft POs
    /// from suggestions. (The same `/v1` routes take `documents`, as they always did.)
    case manage

    public func isGranted(to role: Role) -> Bool {
        switch role {
        case .admin: self != .sync
        case .manager: ![.admin, .sync].contains(self)
        case .staff: [.scan, .read, .catalogue, .audit, .metrics, .documents].contains(self)
        case .readonly: [.read, .audit, .metrics].contains(self)
        case .scanner: [.scan, .read].contains(self)
        case .peer: self == .sync
        }
    }
}
