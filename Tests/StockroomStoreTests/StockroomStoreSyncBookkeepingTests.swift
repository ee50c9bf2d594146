import GRDB
import StockroomCore
import StockroomTesting
import Testing

@testable import StockroomStore

/// What a node records about its peers, and what it does not write.
@Suite struct StockroomStoreSyncBookkeepingTests {
    static let hub = NodeID("hub")!

    @Test func anUnchangedPullWritesNothingUntilAMinuteHasPassed() async throws {
        let clock = Locked<UInt64>(1_795_000_000_000)
        let store = try StockroomStore(writer: DatabaseQueue(), nodeID: NodeID("store-1")!, wallMillis: { clock.value })
        let empty = SyncBatch(node: Self.hub, epoch: "e1", cursor: 10, ops: [])
        _ = try await store.applyPulled(empty, from: Self.hub, source: .hub)
        #expect(try await store.peerProgress(Self.hub).lastSuccessMillis == 1_795_000_000_000)
        // A DatabaseQueue has one connection, so total_changes() counts every write.
        let changesBefore = try await store.read { db in try Int.fetchOne(db, sql: "SELECT total_changes()") }

        clock.withLock { $0 += 30_000 }
        _ = try await store.applyPulled(empty, from: Self.hub, source: .hub)
        #expect(
            try await store.peerProgress(Self.hub).lastSuccessMillis == 1_795_000_000_000, "an idle pull wrote its row")
        let changesAfter = try await store.read { db in try Int.fetchOne(db, sql: "SELECT total_changes()") }
        #expect(changesAfter == changesBefore, "an idle pull changed rows")

        clock.withLock { $0 += 31_000 }
        _ = try await store.applyPulled(empty, from: Self.hub, source: .hub)
        #expect(try await store.peerProgress(Self.hub).lastSuccessMillis == 1_795_000_061_000)
        // A moved cursor is always recorded; a stale (smaller) one never moves it back.
        _ = try await store.applyPulled(
            SyncBatch(node: Self.hub, epoch: "e1", cursor: 25, ops: []), from: Self.hub, source: .hub)
        _ = try await store.applyPulled(
            SyncBatch(node: Self.hub, epoch: "e1", cursor: 12, ops: []), from: Self.hub, source: .hub)
        #expect(try await store.peerProgress(Self.hub).cursor == 25)
        // A new epoch (the hub's database was rebuilt) resets it.
        _ = try await store.applyPulled(
            SyncBatch(node: Self.hub, epoch: "e2", cursor: 3, ops: []), from: Self.hub, source: .hub)
        #expect(try await store.peerProgress(Self.hub).cursor == 3)
    }

    @Test func aPushRecordsTheContactSoTheHubCanListItsStores() async throws {
        let hub = try StockroomStore(writer: DatabaseQueue(), nodeID: Self.hub)
        var generator = RandomOps(seed: 3, origins: 1)
        for sku in generator.skus {  // rule V9: pushed stock ops name items the hub has
            _ = try await hub.createItem(sku: sku, fields: FieldAssignments([.name: .text(sku)]), actor: "hq")
        }
        _ = try await hub.applyPushed(generator.take(4), from: NodeID("node-0")!, locations: .anywhere)
        let peers = try await hub.allPeerProgress()
        #expect(peers.map(\.peer) == ["node-0"] && peers[0].lastSuccessMillis != nil)
        try await hub.recordRound(with: NodeID("node-0")!, rawBytes: 100, wireBytes: 40, pendingIn: 0)
        let after = try await hub.peerProgress(NodeID("node-0")!)
        #expect(after.lastRawBytes == 100 && after.lastWireBytes == 40 && after.pendingIn == 0)
    }
}
