import Foundation
import StockroomCore
import StockroomStore
import Synchronization

/// A value per key that is slow to compute (it reads every item or every cell), kept for a
/// while and refreshed in the background: a page gets the last value at once, even when
/// it is older than `maxAge`, and one refresh runs behind it. Only the first request for a
/// key waits. Pages that show such a figure say how old it may be.
final class BackgroundCache<Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value?
        var at: Double = 0
        var refreshing = false
    }
    private let entries = Mutex<[String: Entry]>([:])
    let maxAge: Double

    init(maxAge: Double) { self.maxAge = maxAge }

    /// The value if one was computed (however old), starting a computation when there is
    /// none or it is stale; nil until the first one finishes. Never waits.
    func peek(_ key: String, compute: @escaping @Sendable () async throws -> Value) -> Value? {
        let now = Date().timeIntervalSince1970
        let (cached, start) = entries.withLock { entries -> (Value?, Bool) in
            var entry = entries[key] ?? Entry()
            let start = now - entry.at >= maxAge && !entry.refreshing
            if start { entry.refreshing = true }
            entries[key] = entry
            return (entry.value, start)
        }
        if start {
            Task.detached(priority: .utility) { [self] in
                let value = try? await compute()
                store(key, value)
            }
        }
        return cached
    }

    func value(_ key: String, compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let now = Date().timeIntervalSince1970
        let (cached, refresh) = entries.withLock { entries -> (Value?, Bool) in
            var entry = entries[key] ?? Entry()
            let stale = now - entry.at >= maxAge
            let refresh = stale && !entry.refreshing && entry.value != nil
            if refresh { entry.refreshing = true }
            entries[key] = entry
            return (entry.value, refresh)
        }
        if let cached {
            if refresh {
                Task.detached(priority: .utility) { [self] in
                    let value = try? await compute()
                    store(key, value)
                }
            }
            return cached
        }
        let value = try await compute()
        store(key, value)
        return value
    }

    /// Drops every value, so the next page computes afresh (after a change it shows).
    func forget() { entries.withLock { $0.removeAll() } }

    private func store(_ key: String, _ value: Value?) {
        let now = Date().timeIntervalSince1970
        entries.withLock { entries in
            var entry = entries[key] ?? Entry()
            entry.refreshing = false
            if let value {
                entry.value = value
                entry.at = now
            }
            entries[key] = entry
        }
    }
}

/// Weighted average cost per item at a location, as the stock-value report computes it
/// from the op log (receipts with a unit cost, history imports included): the dashboard
/// values stock with the same figures as `GET /v1/reports/stock-value`. Recomputed in the
/// background at most every ``maxAge`` seconds.
final class AverageCosts: Sendable {
    static let maxAge: Double = 300
    private let store: StockroomStore
    private let cache = BackgroundCache<[String: Int64]>(maxAge: AverageCosts.maxAge)

    init(store: StockroomStore) { self.store = store }

    /// Cents per unit by SKU at a location, or over the whole chain (`nil`: each item's
    /// weighted average over every location); items without a costed receipt are absent.
    /// Nil while the first computation for the scope runs (pages show the value as not
    /// known yet).
    func costs(location: String?) -> [String: Int64]? {
        let store = store
        return cache.peek(location ?? "*") {
            let today = Int64(store.wallClockMillis() / 86_400_000)
            let table = try await store.report(
                ReportQuery(
                    name: .stockValue, from: today, to: today, location: location, by: location == nil ? .item : .cell))
            guard let sku = table.columns.firstIndex(where: { $0.name == "sku" }),
                let average = table.columns.firstIndex(where: { $0.name == "average_cost" })
            else { return [:] }
            let place = table.columns.firstIndex(where: { $0.name == "location" })
            var costs: [String: Int64] = [:]
            for row in table.rows {
                if let location, let place, case .text(let at) = row[place], at != location { continue }
                guard case .text(let code) = row[sku], case .money(let cents) = row[average] else { continue }
                costs[code] = cents
            }
            return costs
        }
    }

    /// On hand at the average cost (0 for nothing or negative on hand, or no cost known).
    static func value(onHand: Int64, average: Int64?) -> Int64 {
        guard let average, onHand > 0 else { return 0 }
        let (value, overflow) = onHand.multipliedReportingOverflow(by: average)
        return overflow ? .max : value
    }
}
