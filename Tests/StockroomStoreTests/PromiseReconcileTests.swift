import StockroomCore
import StockroomTesting
import Testing

@testable import StockroomStore

/// The background pass (rules S6 and A3): a till sale that eats into promised units is
/// flagged and the flag closes when stock returns; a policy tops the web's rights up; an
/// idle node writes nothing.
@Suite struct PromiseReconcileTests {
    @Test(arguments: TestStores.Kind.allCases)
    func aSaleIntoPromisedUnitsIsFlaggedUntilStockReturns(kind: TestStores.Kind) async throws {
        let store = try TestStores.make(kind)
        try await TestStores.seedCatalogue(store)
        _ = try await store.recordScan(ScanCommand(scanID: "c", code: "A-1", quantity: 10, action: .count), actor: "t")
        _ = try await store.recordEvent(
            DocumentEvent(
                kind: .order, document: "web:1", event: "place", action: .place, location: "store-1",
                lines: [DocumentLine(sku: "A-1", quantity: 3)]), actor: "t")
        var last = try await store.reconcilePromises(afterLSN: 0).lastLSN
        #expect(try await store.conflicts().filter { $0.kind == "promised_oversold" }.isEmpty)
        _ = try await store.recordScan(.sale("s1", "A-1", 9), actor: "till")
        last = try await store.reconcilePromises(afterLSN: last).lastLSN
        let open = try await store.conflicts().filter { $0.kind == "promised_oversold" }
        #expect(open.count == 1 && open.first?.quantity == -2, "\(open)")
        #expect(open.first?.detail.contains("2 promised units are not there") == true)
        let ops = try await store.statistics().ops
        _ = try await store.reconcilePromises(afterLSN: last)
        #expect(try await store.statistics().ops == ops, "a second pass with nothing new writes nothing")
        _ = try await store.recordScan(.receive("r1", "A-1", 5), actor: "dock")
        _ = try await store.reconcilePromises(afterLSN: last)
        #expect(try await store.conflicts().filter { $0.kind == "promised_oversold" }.isEmpty)
    }

    @Test func aPolicyTopsTheWebUpToItsShare() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        _ = try await store.recordScan(ScanCommand(scanID: "c", code: "A-1", quantity: 22, action: .count), actor: "t")
        try await store.setAllowancePolicy(
            AllowancePolicy(scope: .item("A-1"), channel: NodeID("hub")!, sharePercent: 50, keep: 2), actor: "buyer")
        let first = try await store.reconcilePromises(afterLSN: 0)
        #expect(first.granted == 1)
        let rights = try await store.promiseRights(StockKey(sku: "A-1", location: "store-1"))
        #expect(rights.first { $0.channel == NodeID("hub")! }?.mayPromise == 10, "50% of 22 − 2: \(rights)")
        #expect(rights.first { $0.isOwner }?.mayPromise == 12)
        #expect(try await store.reconcilePromises(afterLSN: first.lastLSN).granted == 0)
    }
}

/// Rule V9 for the new kinds: a peer's unavailable move or right names an item the hub has.
@Suite struct PeerDocumentOpsTests {
    @Test func aPeersUnavailableMovesAndRightsNameKnownItems() async throws {
        let hub = try TestStores.make(node: "hub")
        try await TestStores.seedCatalogue(hub)
        let store = NodeID("store-1")!
        func op(_ seq: UInt64, _ payload: OpPayload) -> Op {
            Op(id: OpID(origin: store, seq: seq), hlc: HLC(millis: 1_790_000_000_000), actor: "t", payload: payload)
        }
        for payload in [
            OpPayload.unavailable(StockKey(sku: "NOPE", location: "store-1"), quantity: 1),
            .allowance(StockKey(sku: "NOPE", location: "store-1"), channel: NodeID("hub")!, quantity: 1),
        ] {
            await #expect(throws: OpViolation.self) {
                try await hub.applyPushed([op(1, payload)], from: store, locations: .own(store))
            }
        }
        let report = try await hub.applyPushed(
            [op(1, .unavailable(StockKey(sku: "A-1", location: "store-1"), quantity: 1))], from: store,
            locations: .own(store))
        #expect(report.applied == 1)
    }
}
