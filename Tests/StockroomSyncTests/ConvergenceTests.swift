import Foundation
import StockroomCore
import StockroomStore
import StockroomSync
import StockroomTesting
import Testing

/// A hub and stores as real on-disk stores, exchanging batches through the wire codec
/// and deflate, in a random seeded order. The transport here is a function call; the
/// HTTP transport and the full fault simulation (partitions, restarts) build on it.
@Suite struct ConvergenceTests {
    struct Cluster {
        let hub: StockroomStore
        let stores: [StockroomStore]
        var all: [StockroomStore] { [hub] + stores }

        static func make() throws -> Cluster {
            func open(_ node: String) throws -> StockroomStore {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "stockroom-sim-\(UUID().uuidString)"
                ).path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                return try StockroomStore(path: directory + "/db.sqlite", nodeID: NodeID(node)!)
            }
            return Cluster(hub: try open("hub"), stores: [try open("store-1"), try open("store-2")])
        }

        /// The store pushes its new ops to the hub (through the wire), the way the sync
        /// client will, optionally delivering the batch twice.
        func push(_ store: StockroomStore, limit: Int, duplicate: Bool) async throws {
            let progress = try await store.peerProgress(hub.nodeID)
            let ops = try await store.ownOps(after: progress.pushedSeq, limit: limit)
            guard !ops.isEmpty else { return }
            let wire = WireCompression.wire(SyncBatch(node: store.nodeID, ops: ops))
            var report = try await hub.applyPushed(
                try WireCompression.batch(fromWire: wire).ops, from: store.nodeID, locations: .anywhere)
            if duplicate {
                report = try await hub.applyPushed(
                    try WireCompression.batch(fromWire: wire).ops, from: store.nodeID, locations: .anywhere)
                #expect(report.applied == 0)
            }
            try await store.recordPushed(to: hub.nodeID, seq: report.coverage[store.nodeID])
        }

        /// The store pulls what concerns it from the hub.
        func pull(_ store: StockroomStore, limit: Int, duplicate: Bool) async throws {
            let progress = try await store.peerProgress(hub.nodeID)
            let batch = try await hub.pullBatch(
                epoch: progress.epoch, cursor: progress.cursor, interest: .edge(store.nodeID), limit: limit)
            let received = try WireCompression.batch(fromWire: WireCompression.wire(batch))
            _ = try await store.applyPulled(received, from: hub.nodeID, source: .hub)
            if duplicate { #expect(try await store.applyPulled(received, from: hub.nodeID, source: .hub).applied == 0) }
        }

        /// Syncs everything until nothing moves.
        func settle() async throws {
            for _ in 0..<2 {
                for store in stores { try await push(store, limit: 20_000, duplicate: false) }
                for store in stores {
                    var progress = try await store.peerProgress(hub.nodeID)
                    repeat {
                        try await pull(store, limit: 5000, duplicate: false)
                        let next = try await store.peerProgress(hub.nodeID)
                        if next.cursor == progress.cursor { break }
                        progress = next
                    } while true
                }
            }
        }
    }

    @Test func storesAndHubConvergeWhateverTheInterleaving() async throws {
        let seed = SeededGenerator.testSeed()
        var random = SeededGenerator(seed: seed)
        let cluster = try Cluster.make()
        let skus = (0..<12).map { "SKU-\($0)" }
        for sku in skus {
            _ = try await cluster.hub.createItem(sku: sku, fields: FieldAssignments([.name: .text(sku)]), actor: "hq")
        }
        try await cluster.settle()
        var scan = 0
        for _ in 0..<300 {
            let roll = Int.random(in: 0..<100, using: &random)
            let store = cluster.stores.randomElement(using: &random)!
            let sku = skus.randomElement(using: &random)!
            scan += 1
            switch roll {
            case 0..<45:  // a sale or a receipt at a store
                let action: ScanAction = Bool.random(using: &random) ? .move(.sale) : .move(.receive)
                _ = try? await store.recordScan(
                    ScanCommand(
                        scanID: "s\(scan)", code: sku, quantity: Int64.random(in: 1...5, using: &random), action: action
                    ),
                    actor: "till")
            case 45..<53:  // a shelf count at a store
                _ = try? await store.recordScan(
                    ScanCommand(
                        scanID: "s\(scan)", code: sku, quantity: Int64.random(in: 0...30, using: &random),
                        action: .count),
                    actor: "clerk")
            case 53..<60:  // an online order at the hub, to be shipped from a store
                _ = try await cluster.hub.applyRemote([])
                let target = cluster.stores.randomElement(using: &random)!.nodeID.rawValue
                _ = try? await cluster.hub.recordScan(
                    ScanCommand(scanID: "web\(scan)", code: sku, quantity: 1, action: .move(.sale), location: target),
                    actor: "web")
            case 60..<66:  // a catalogue edit at the hub or a store
                let editor = Bool.random(using: &random) ? cluster.hub : store
                _ = try? await editor.updateItem(
                    sku: sku, fields: FieldAssignments([.price: .int(Int64.random(in: 1...999, using: &random))]),
                    actor: "staff")
            case 66..<68:  // a delete, and sometimes a re-create
                _ = try? await cluster.hub.deleteItem(sku: sku, actor: "hq")
                if Bool.random(using: &random) {
                    _ = try? await cluster.hub.createItem(
                        sku: sku, fields: FieldAssignments([.name: .text("\(sku) v2")]), actor: "hq")
                }
            case 68..<84:
                try await cluster.push(
                    store, limit: Int.random(in: 1...40, using: &random),
                    duplicate: Int.random(in: 0..<5, using: &random) == 0)
            default:
                try await cluster.pull(
                    store, limit: Int.random(in: 1...40, using: &random),
                    duplicate: Int.random(in: 0..<5, using: &random) == 0)
            }
        }
        try await cluster.settle()

        // The hub holds every op: its state equals the reference computed from their union.
        var union: [Op] = []
        for node in cluster.all {
            union += try await node.ownOps(after: 0, limit: 1_000_000)
        }
        let reference = ReferenceReplica(ops: union).snapshot()
        let kinds = Dictionary(grouping: union, by: { $0.payload.kind }).mapValues(\.count)
        #expect(
            (kinds[.delta] ?? 0) > 60 && (kinds[.count] ?? 0) > 5 && (kinds[.itemUpdate] ?? 0) > 5,
            "seed \(seed): \(kinds)")
        #expect(Set(union.map(\.id.origin)).count == 3, "seed \(seed): not every node wrote ops")
        let hub = try await cluster.hub.snapshot()
        #expect(hub == reference, "seed \(seed): the hub differs from the union of all ops; STOCKROOM_SEED=\(seed)")
        // Each store agrees with the hub on the catalogue and on every cell at its location.
        for store in cluster.stores {
            let snapshot = try await store.snapshot()
            #expect(snapshot.items == hub.items, "seed \(seed): \(store.nodeID) catalogue differs")
            let mine = hub.stock.filter { SyncInterest.isLocation($0.key.location, of: store.nodeID) }
            #expect(
                snapshot.stock.filter { SyncInterest.isLocation($0.key.location, of: store.nodeID) } == mine,
                "seed \(seed): \(store.nodeID) stock differs")
            #expect(
                snapshot.stock.keys.allSatisfy { SyncInterest.isLocation($0.location, of: store.nodeID) },
                "seed \(seed): \(store.nodeID) received another store's stock")
        }
    }
}
