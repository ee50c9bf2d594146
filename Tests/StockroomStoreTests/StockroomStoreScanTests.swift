import GRDB
import StockroomCore
import StockroomTesting
import Testing

@testable import StockroomStore

@Suite struct StockroomStoreScanTests {
    @Test(arguments: TestStores.Kind.allCases)
    func scansMoveStockByReason(kind: TestStores.Kind) async throws {
        let store = try TestStores.make(kind)
        try await TestStores.seedCatalogue(store)
        let received = try await store.recordScan(.receive("s1", "4006381333931", 10), actor: "t")
        #expect(received.sku == "A-1" && received.quantity == 10 && received.change == 10)
        let sold = try await store.recordScan(.sale("s2", "A-1", 3), actor: "t")
        #expect(sold.quantity == 7 && sold.change == -3)
        let counted = try await store.recordScan(
            ScanCommand(scanID: "s3", code: "A-1", quantity: 4, action: .count), actor: "t")
        #expect(counted.quantity == 4)
        let afterCount = try await store.recordScan(.sale("s4", "A-1"), actor: "t")
        #expect(afterCount.quantity == 3)
        #expect(try await store.stock(code: "A-1").quantity == 3)
        #expect(received.opID.seq + 3 == afterCount.opID.seq)
    }

    @Test func aUPCAFindsTheItemRegisteredWithItsEANForm() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        #expect(try await store.recordScan(.sale("s1", "0036000291452"), actor: "t").sku == "B-2")
        #expect(try await store.recordScan(.sale("s2", "036000291452"), actor: "t").sku == "B-2")
    }

    @Test func aRetriedScanReturnsTheOriginalResultAndWritesNothing() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        let first = try await store.recordScan(.receive("s1", "A-1", 5), actor: "t")
        _ = try await store.recordScan(.sale("s2", "A-1", 2), actor: "t")
        let retry = try await store.recordScan(.receive("s1", "A-1", 5), actor: "t")
        #expect(retry.replayed && retry.opID == first.opID && retry.quantity == 5)
        #expect(try await store.stock(code: "A-1").quantity == 3)
        #expect(try await store.statistics().ops == 5)
    }

    @Test func theSameScanIDFromAnotherDeviceIsAnotherScan() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        _ = try await store.recordScan(.receive("1", "A-1", 5, device: "gun-a"), actor: "t")
        let other = try await store.recordScan(.receive("1", "A-1", 5, device: "gun-b"), actor: "t")
        #expect(!other.replayed && other.quantity == 10)
    }

    @Test func reusingAScanIDForADifferentScanIsRefused() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        _ = try await store.recordScan(.receive("s1", "A-1", 5), actor: "t")
        await #expect(throws: StoreError.scanIDReused("s1")) {
            try await store.recordScan(.receive("s1", "A-1", 6), actor: "t")
        }
        await #expect(throws: StoreError.scanIDReused("s1")) {
            try await store.recordScan(.sale("s1", "A-1", 5), actor: "t")
        }
    }

    @Test func unknownCodesAndMisreadBarcodesAreRefusedAndWriteNothing() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        let before = try await store.statistics().ops
        await #expect(throws: StoreError.unknownCode("NOPE")) {
            try await store.recordScan(.sale("x", "NOPE"), actor: "t")
        }
        await #expect(throws: StoreError.badCheckDigit("4006381333932")) {
            try await store.recordScan(.sale("y", "4006381333932"), actor: "t")
        }
        await #expect(throws: StoreError.unknownCode("5901234123457")) {
            try await store.recordScan(.sale("z", "5901234123457"), actor: "t")
        }
        #expect(try await store.statistics().ops == before)
    }

    @Test func aBatchIsAllOrNothing() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        let before = try await store.statistics().ops
        do {
            _ = try await store.recordScans(
                [.receive("b1", "A-1", 5), .sale("b2", "NOPE"), .sale("b3", "C-3")], actor: "t")
            Issue.record("a batch with an unknown code was accepted")
        } catch let error as BatchItemError {
            #expect(error.index == 1)
            #expect(error.underlying as? StoreError == .unknownCode("NOPE"))
        }
        #expect(try await store.statistics().ops == before)
        #expect(try await store.stock(code: "A-1").quantity == 0)
        let results = try await store.recordScans(
            [.receive("b1", "A-1", 5), .sale("b3", "C-3"), .receive("b1", "A-1", 5)], actor: "t")
        #expect(results.map(\.quantity) == [5, -1, 5])
        #expect(results[2].replayed)
    }

    @Test func aSaleBelowZeroOpensAnOversellAndARecoveryClosesIt() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        _ = try await store.recordScan(.sale("s1", "C-3", 2), actor: "t")
        _ = try await store.recordScan(.sale("s2", "C-3", 1), actor: "t")
        var open = try await store.conflicts()
        #expect(open.count == 1 && open[0].kind == "oversell" && open[0].quantity == -2)
        _ = try await store.recordScan(.receive("s3", "C-3", 10), actor: "t")
        open = try await store.conflicts()
        #expect(open.isEmpty)
        #expect(try await store.conflicts(includeResolved: true).count == 1)
    }

    /// Many scanners at once: every scan lands exactly once, seqs stay gap-free, and the
    /// writer shares transactions between them (fewer commits than scans).
    @Test func concurrentScansShareCommitsAndKeepSeqsGapFree() async throws {
        let commits = Locked(0)
        let directory = try TestStores.temporaryDirectory()
        let store = try StockroomStore(
            path: directory + "/db.sqlite", nodeID: NodeID("store-1")!,
            didCommit: { _, _ in commits.withLock { $0 += 1 } })
        try await TestStores.seedCatalogue(store)
        let baseline = commits.value
        try await withThrowingTaskGroup(of: Void.self) { group in
            for scanner in 0..<32 {
                group.addTask {
                    for scan in 0..<20 {
                        _ = try await store.recordScan(
                            .receive("\(scanner)-\(scan)", "A-1", 1, device: "gun-\(scanner)"), actor: "t")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.stock(code: "A-1").quantity == 640)
        #expect(store.writeContext.nextSeq == 3 + 640 + 1)
        #expect(commits.value - baseline < 640)
        let seqs = try await store.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM ops ORDER BY seq") }
        #expect(seqs == Array(1...Int64(643)))
    }
}
