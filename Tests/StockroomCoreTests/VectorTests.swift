import StockroomTesting
import Testing

@testable import StockroomCore

/// Replays every case of sync-protocol/vectors against the reference replica, in several
/// interleavings.
@Suite struct VectorTests {
    static let vectors = (try? SyncVector.all()) ?? []

    @Test func thereAreAtLeastTwentyVectorsCoveringEveryArea() throws {
        let vectors = try SyncVector.all()
        #expect(vectors.count >= 20)
        #expect(
            Set(vectors.map { String($0.name.split(separator: "/")[0]) }) == [
                "allowances", "catalogue", "conflicts", "counts", "deltas", "holds", "orders", "purchase-orders",
                "settings", "suppliers", "transfers",
            ])
        #expect(vectors.filter { !$0.states.isEmpty || !$0.policies.isEmpty }.count >= 25)
    }

    /// Section 11's arithmetic against write_vectors.py's own Python implementation.
    @Test func alertAndReplenishmentArithmeticMatchesTheVectors() throws {
        let vectors = try ArithmeticVector.all()
        #expect(vectors.filter { $0.name.hasPrefix("alerts/") }.count >= 5)
        #expect(vectors.filter { $0.name.hasPrefix("replenishment/") }.count >= 8)
        for vector in vectors { #expect(vector.actual == vector.expected, "\(vector.name)") }
    }

    @Test(arguments: vectors.map(\.name))
    func referenceReplicaMatches(_ name: String) throws {
        let vector = try #require(Self.vectors.first { $0.name == name })
        var generator = SeededGenerator(seed: 0xFEED)
        for round in 0..<8 {
            let snapshot = ReferenceReplica(ops: round == 0 ? vector.ops : vector.interleaving(using: &generator))
                .snapshot()
            #expect(snapshot.stock == vector.stock, "\(name) round \(round)")
            #expect(snapshot.items == vector.items, "\(name) round \(round)")
            #expect(snapshot.concurrentCounts == vector.concurrentCounts, "\(name) round \(round)")
            #expect(snapshot.negativeCells == vector.negative, "\(name) round \(round)")
            let replica = ReferenceReplica(ops: vector.ops)
            var issues: Set<String> = []
            for (key, state) in replica.documents() {
                for issue in state.issues {
                    issues.insert("\(issue.code) \(key) \(issue.sku ?? "-") \(issue.resolved ? "resolved" : "open")")
                }
            }
            let problems = vector.section10Mismatches(snapshot, issues: issues)
            #expect(problems.isEmpty, "\(name) round \(round): \(problems)")
        }
    }
}
