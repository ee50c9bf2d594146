public import StockroomCore
public import StockroomStore

/// What a simulation checks of an edge once the chain is healed: its catalogue, its own
/// cells and the count conflicts of its cells equal the reference computed from `ops`
/// (everything the chain holds). Shared by the simulations over SQLite and PostgreSQL.
public enum EdgeAgreement {
    /// The differences, in words; empty when the edge agrees.
    public static func differences(
        _ edge: StockroomStore, reference: ReplicaSnapshot, ops: [Op]
    ) async throws -> [String] {
        let state = try await edge.snapshot()
        let node = edge.nodeID
        let mine: (StockKey) -> Bool = { SyncInterest.isLocation($0.location, of: node) }
        var differences: [String] = []
        if state.items != reference.items { differences.append("\(node) catalogue differs") }
        let stock = state.stock.filter { mine($0.key) }
        let expected = reference.stock.filter { mine($0.key) }
        if stock != expected { differences.append("\(node) stock differs: \(stock) != \(expected)") }
        let winners = Dictionary(ops.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let conflicts = reference.concurrentCounts.filter { winners[$0.winner]?.payload.stockKey.map(mine) ?? false }
        if state.concurrentCounts != conflicts { differences.append("\(node) count conflicts differ") }
        return differences
    }
}
