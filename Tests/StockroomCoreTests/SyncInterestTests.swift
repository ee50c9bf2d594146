import StockroomCore
import StockroomTesting
import Testing

/// `SyncInterest.concernedNodes` is what the PostgreSQL log stores beside each batch so a
/// store's pull reads only its batches: it must say exactly what `concerns` says.
@Suite struct SyncInterestTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func concernedNodesAgreeWithConcerns(seed: UInt64) {
        var random = RandomOps(seed: seed, origins: 3, skus: 6, locations: 3)
        let documents = DocumentStream.ops(
            count: 2000, seed: seed, origin: NodeID("store-1")!, peer: NodeID("store-2")!)
        let ops = random.take(2000) + documents
        let nodes = (ops.map(\.id.origin.rawValue) + ["store-1", "store-2", "store-3", "hub", "warehouse"])
        for op in ops {
            let concerned = SyncInterest.concernedNodes(of: op)
            for node in Set(nodes) {
                let edge = SyncInterest.edge(NodeID(node)!)
                #expect(
                    edge.concerns(op) == (concerned == nil || concerned!.contains(node)),
                    "seed \(seed): op \(op.id) for \(node): concerned \(String(describing: concerned))")
            }
        }
    }

    @Test func aSubLocationConcernsItsStoreOnly() {
        let op = Op(
            id: OpID(origin: NodeID("hub")!, seq: 1), hlc: HLC(millis: 1), actor: "t", device: nil, scanID: nil,
            payload: .delta(StockKey(sku: "A", location: "store-4/backroom"), quantity: 1, reason: .receive))
        #expect(SyncInterest.concernedNodes(of: op) == ["store-4"])
        #expect(SyncInterest.edge(NodeID("store-4")!).concerns(op))
        #expect(!SyncInterest.edge(NodeID("store-40")!).concerns(op))
    }
}
