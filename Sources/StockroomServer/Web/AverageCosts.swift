import Foundation
import StockroomCore
import StockroomStore
import Synchronization

/// Weighted average cost per item at a location, as the stock-value report computes it
/// from the op log (receipts with a unit cost, history imports included), kept for
/// ``maxAge`` seconds: the dashboard values stock with the same figures as
/// `GET /v1/reports/stock-value`, without recomputing the ledger on every page.
final class AverageCosts: Sendable {
    static let maxAge: Double = 300
    private let store: StockroomStore
    private let cache = Mutex<[String: (at: Double, costs: [String: Int64])]>([:])

    init(store: StockroomStore) { self.store = store }

    /// Cents per unit by SKU; items without a costed receipt are absent.
    func costs(location: String) async throws -> [String: Int64] {
        let now = Date().timeIntervalSince1970
        if let hit = cache.withLock({ $0[location] }), now - hit.at < Self.maxAge { return hit.costs }
        let today = Int64(store.wallClockMillis() / 86_400_000)
        let table = try await store.report(
            ReportQuery(name: .stockValue, from: today, to: today, location: location, by: .cell))
        guard let sku = table.columns.firstIndex(where: { $0.name == "sku" }),
            let place = table.columns.firstIndex(where: { $0.name == "location" }),
            let average = table.columns.firstIndex(where: { $0.name == "average_cost" })
        else { return [:] }
        var costs: [String: Int64] = [:]
        for row in table.rows {
            guard case .text(let code) = row[sku], case .text(let at) = row[place], at == location,
                case .money(let cents) = row[average]
            else { continue }
            costs[code] = cents
        }
        cache.withLock { $0[location] = (now, costs) }
        return costs
    }

    /// On hand at the average cost (0 for nothing or negative on hand, or no cost known).
    static func value(onHand: Int64, average: Int64?) -> Int64 {
        guard let average, onHand > 0 else { return 0 }
        let (value, overflow) = onHand.multipliedReportingOverflow(by: average)
        return overflow ? .max : value
    }
}
