import GRDB
import StockroomCore
import StockroomTesting
import Testing

@testable import StockroomStore

/// Replays every case of sync-protocol/vectors into a real SQLite store, as ops arriving
/// from peers, in several interleavings.
@Suite struct StoreVectorTests {
    static let vectors = (try? SyncVector.all()) ?? []

    @Test(arguments: vectors.map(\.name))
    func storeMatches(_ name: String) async throws {
        let vector = try #require(Self.vectors.first { $0.name == name })
        var generator = SeededGenerator(seed: 0xBEEF)
        for round in 0..<4 {
            let store = try StockroomStore(writer: DatabaseQueue(), nodeID: NodeID("vector-node")!)
            let ops = round == 0 ? vector.ops : vector.interleaving(using: &generator)
            for op in ops { _ = try await store.applyRemote([op]) }
            let snapshot = try await store.snapshot()
            #expect(snapshot.stock == vector.stock, "\(name) round \(round)")
            #expect(snapshot.items == vector.items, "\(name) round \(round)")
            #expect(snapshot.concurrentCounts == vector.concurrentCounts, "\(name) round \(round)")
            let open = try await store.conflicts().filter { $0.kind == "oversell" }
            #expect(
                Set(open.map { StockKey(sku: $0.sku, location: $0.location ?? "") }) == vector.negative,
                "\(name) round \(round)")
            var issues: Set<String> = []
            let codes: Set = ["transfer_discrepancy", "over_fulfilled", "document_reopened"]
            for conflict in try await store.conflicts(includeResolved: true) where codes.contains(conflict.kind) {
                // ops is "kind/id/code/sku" (DocumentApplier): the id may hold slashes.
                let parts = conflict.ops.joined(separator: ",").split(separator: "/", omittingEmptySubsequences: false)
                let document = parts.dropLast(2).joined(separator: "/")
                let sku = parts.last.map(String.init).flatMap { $0.isEmpty ? nil : $0 } ?? "-"
                issues.insert(
                    "\(conflict.kind) \(document) \(sku) \(conflict.resolvedHLC == nil ? "open" : "resolved")")
            }
            let problems = vector.section10Mismatches(snapshot, issues: issues)
            #expect(problems.isEmpty, "\(name) round \(round): \(problems)")
        }
    }
}
