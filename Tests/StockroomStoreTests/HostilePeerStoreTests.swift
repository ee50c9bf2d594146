import Foundation
import GRDB
import StockroomCore
import StockroomStore
import Testing

/// Issue #11's findings against a real hub store on disk: what a hostile or buggy peer
/// sends is refused whole with the rule it broke, and a database that already holds bad
/// rows (written before validation existed) is reported and repaired, never a crash.
@Suite struct HostilePeerStoreTests {
    static let store1 = NodeID("store-1")!
    static let store2 = NodeID("store-2")!
    static let now: UInt64 = 1_800_000_000_000

    /// A hub (on-disk pool) with A-1 and B-2, and its folder.
    static func hub() async throws -> (StockroomStore, String) {
        let directory = try TestStores.temporaryDirectory()
        let hub = try StockroomStore(path: directory + "/stockroom.sqlite", nodeID: NodeID("hub")!)
        try await TestStores.seedCatalogue(hub)
        return (hub, directory + "/stockroom.sqlite")
    }

    static func op(_ seq: UInt64, _ payload: OpPayload, origin: NodeID = store1, scanID: String? = nil) -> Op {
        Op(
            id: OpID(origin: origin, seq: seq), hlc: HLC(millis: StockroomStore.systemWallMillis()), actor: "till",
            device: "till-1", scanID: scanID, payload: payload)
    }

    static func sale(_ seq: UInt64, at location: String = "store-1", scanID: String? = nil) -> Op {
        op(seq, .delta(StockKey(sku: "A-1", location: location), quantity: -1, reason: .sale), scanID: scanID)
    }

    static func refusal(_ body: () async throws -> some Any) async -> OpViolation? {
        do {
            _ = try await body()
            return nil
        } catch let violation as OpViolation {
            return violation
        } catch {
            Issue.record("expected an OpViolation, got \(error)")
            return nil
        }
    }

    /// Finding 1: a text price was accepted, relayed, and then killed every node reading it.
    @Test func aPushedTextPriceIsRefusedAndTheItemStaysReadable() async throws {
        let (hub, _) = try await Self.hub()
        let poison = Self.op(1, .itemUpdate(sku: "A-1", fields: FieldAssignments([.price: .text("free")])))
        let violation = await Self.refusal {
            try await hub.applyPushed([poison], from: Self.store1, locations: .own(Self.store1))
        }
        #expect(violation?.rule == .field && violation?.index == 0)
        #expect(try await hub.item(code: "A-1").priceCents == nil)
        #expect(hub.writeContext.knowledge[Self.store1] == 0, "nothing of the batch was applied")
    }

    /// Finding 1, second half: a database that already holds the poisoned rows. Reading
    /// the item is an error, not a crash; `check` lists the rows; `--repair` quarantines
    /// them and the item reads again.
    @Test func aDatabaseHoldingBadRowsIsReportedAndRepairedNeverACrash() async throws {
        let (hub, path) = try await Self.hub()
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(
                sql: """
                    INSERT INTO ops (origin, seq, hlc, kind, sku, body, actor, applied_at)
                    VALUES ('store-1', 1, ?, 4, 'A-1', '{"price":"free"}', 'evil', 0);
                    UPDATE items SET price_cents = 'free' WHERE sku = 'A-1';
                    INSERT INTO ops (origin, seq, hlc, kind, sku, location, quantity, reason, actor, applied_at)
                    VALUES ('store-2', 1, ?, 1, 'B-2', 'store-2', 9223372036854775807, 4, 'evil', 0),
                           ('store-2', 2, ?, 1, 'B-2', 'store-2', 9223372036854775807, 4, 'evil', 0);
                    """,
                arguments: [HLC(millis: Self.now).packed, HLC(millis: Self.now).packed, HLC(millis: Self.now).packed])
        }
        await #expect(throws: StoreError.self) { try await hub.item(code: "A-1") }
        let report = try await hub.verify()
        #expect(!report.isHealthy)
        #expect(report.badOps.count == 3, "\(report.badOps)")
        #expect(report.unreadableItems == ["A-1"])
        #expect(try await hub.quarantineBadOps() == 3)
        #expect(try await hub.verify().isHealthy)
        #expect(try await hub.item(code: "A-1").priceCents == nil)
        let quarantined = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM quarantined_ops") }
        #expect(quarantined == 3)
    }

    /// Finding 5: a delta of Int64.max wrapped stock.
    @Test func aPushedDeltaOfInt64MaxIsRefused() async throws {
        let (hub, _) = try await Self.hub()
        let huge = Self.op(1, .delta(StockKey(sku: "A-1", location: "store-1"), quantity: .max, reason: .adjust))
        let violation = await Self.refusal {
            try await hub.applyPushed([huge], from: Self.store1, locations: .own(Self.store1))
        }
        #expect(violation?.rule == .quantity)
        #expect(try await hub.snapshot().stock.isEmpty)
    }

    /// Finding 8: two ops with one device and scan id were a 500, and the store's sync was
    /// stuck on sequence_gap for ever. Now: a refusal naming the rule, in one batch or two.
    @Test func aReusedScanIDIsARefusalNotAnInternalError() async throws {
        let (hub, _) = try await Self.hub()
        let inOne = [Self.sale(1, scanID: "s-1"), Self.sale(2, scanID: "s-1")]
        #expect(
            await Self.refusal { try await hub.applyPushed(inOne, from: Self.store1, locations: .own(Self.store1)) }?
                .rule == .scanID)
        _ = try await hub.applyPushed([Self.sale(1, scanID: "s-1")], from: Self.store1, locations: .own(Self.store1))
        let again = await Self.refusal {
            try await hub.applyPushed([Self.sale(2, scanID: "s-1")], from: Self.store1, locations: .own(Self.store1))
        }
        #expect(again?.rule == .scanID && again?.index == 0)
        #expect(hub.writeContext.knowledge[Self.store1] == 1)
        #expect(
            try await hub.applyPushed([Self.sale(2, scanID: "s-2")], from: Self.store1, locations: .own(Self.store1))
                .applied == 1)
    }

    /// Finding 7: `item_update` assigning `alive` resurrected a deleted item.
    @Test func aPushedAliveAssignmentCannotResurrectAnItem() async throws {
        let (hub, _) = try await Self.hub()
        try await hub.deleteItem(sku: "C-3", actor: "hq")
        let ghost = Self.op(1, .itemUpdate(sku: "C-3", fields: FieldAssignments([.alive: .int(1)])))
        #expect(
            await Self.refusal { try await hub.applyPushed([ghost], from: Self.store1, locations: .own(Self.store1)) }?
                .rule == .alive)
        await #expect(throws: StoreError.self) { try await hub.item(code: "C-3") }
    }

    /// Finding 7: a stock op for an SKU nobody has.
    @Test func aStockOpForAnUnknownSKUIsRefused() async throws {
        let (hub, _) = try await Self.hub()
        let stray = Self.op(1, .delta(StockKey(sku: "NOBODY", location: "store-1"), quantity: 3, reason: .receive))
        #expect(
            await Self.refusal { try await hub.applyPushed([stray], from: Self.store1, locations: .own(Self.store1)) }?
                .rule == .unknownSKU)
    }

    /// Finding 12: a store wrote stock at another store's location, and the hub relayed it.
    @Test func aStoreMayWriteOnlyItsOwnLocationsAndItsGrants() async throws {
        let (hub, _) = try await Self.hub()
        let elsewhere = Self.sale(1, at: "store-2")
        let violation = await Self.refusal {
            try await hub.applyPushed([elsewhere], from: Self.store1, locations: .own(Self.store1))
        }
        #expect(violation?.rule == .location)
        let granted = LocationPolicy.own(Self.store1, extra: ["store-2"])
        #expect(try await hub.applyPushed([elsewhere], from: Self.store1, locations: granted).applied == 1)
        let edge = try TestStores.make(node: "store-1")
        try await TestStores.seedCatalogue(edge)
        try await edge.restrictLocalWrites(to: .own(Self.store1))
        let scan = ScanCommand(scanID: "x", code: "A-1", quantity: 1, action: .move(.sale), location: "store-2")
        #expect(await Self.refusal { try await edge.recordScan(scan, actor: "till") }?.rule == .location)
        var own = scan
        own.location = "store-1/backroom"
        #expect(try await edge.recordScan(own, actor: "till").location == "store-1/backroom")
    }

    /// Finding 3: a hub that pulled from a store trusted its answer: ops of another origin,
    /// and coverage of another store raised to 1,000,000, after which that store's real
    /// sales were dropped as duplicates.
    @Test func aStoresPullAnswerIsHeldToThePushRules() async throws {
        let (hub, _) = try await Self.hub()
        let source = PullSource.store(locations: .own(Self.store1))
        let forged = SyncBatch(
            node: Self.store1, epoch: "e", cursor: 1, coverage: VersionVector([Self.store2: 1_000_000]),
            ops: [Self.sale(1)])
        await #expect(throws: PullAnswerViolation.self) {
            try await hub.applyPulled(forged, from: Self.store1, source: source)
        }
        let foreign = SyncBatch(
            node: Self.store1, epoch: "e", cursor: 1, ops: [Self.op(1, .itemDelete(sku: "A-1"), origin: Self.store2)])
        await #expect(throws: PullAnswerViolation.self) {
            try await hub.applyPulled(foreign, from: Self.store1, source: source)
        }
        #expect(hub.writeContext.knowledge[Self.store2] == 0 && hub.writeContext.knowledge[Self.store1] == 0)
        // store-2's real sales still arrive.
        let real = Op(
            id: OpID(origin: Self.store2, seq: 1), hlc: HLC(millis: StockroomStore.systemWallMillis()), actor: "till",
            payload: .delta(StockKey(sku: "A-1", location: "store-2"), quantity: -1, reason: .sale))
        #expect(try await hub.applyPushed([real], from: Self.store2, locations: .own(Self.store2)).applied == 1)
        let honest = SyncBatch(
            node: Self.store1, epoch: "e", cursor: 1, coverage: VersionVector([Self.store1: 1]), ops: [Self.sale(1)])
        #expect(try await hub.applyPulled(honest, from: Self.store1, source: source).applied == 1)
    }

    /// Finding 21: one far-future op dragged the hub's own stamps five minutes ahead.
    @Test func aFarFutureOpDoesNotDragTheHubsStamps() async throws {
        let (hub, _) = try await Self.hub()
        var ahead = Self.sale(1)
        ahead.hlc = HLC(millis: StockroomStore.systemWallMillis() + 3 * 24 * 3600 * 1000)
        #expect(try await hub.applyPushed([ahead], from: Self.store1, locations: .own(Self.store1)).clamped == 1)
        let before = StockroomStore.systemWallMillis()
        _ = try await hub.createItem(sku: "D-4", fields: FieldAssignments([.name: .text("Dates")]), actor: "hq")
        let stamped = try await hub.item(code: "D-4").updatedHLC.millis
        #expect(stamped < before + 60_000, "the hub stamped \(stamped - before) ms ahead")
    }
}

/// Finding 26 of issue #11: what a merge or a lying peer leaves is listed, not hidden.
@Suite struct MergeLeftoverConflictTests {
    /// A re-pushed op with a known id but a different payload was counted as a duplicate
    /// without a word.
    @Test func aKnownIDWithDifferentContentIsAnOpMismatchConflict() async throws {
        let (hub, _) = try await HostilePeerStoreTests.hub()
        let store = HostilePeerStoreTests.store1
        let honest = HostilePeerStoreTests.sale(1)
        #expect(try await hub.applyPushed([honest], from: store, locations: .own(store)).applied == 1)
        #expect(try await hub.applyPushed([honest], from: store, locations: .own(store)).duplicates == 1)
        #expect(try await hub.conflicts().filter { $0.kind == "op_mismatch" }.isEmpty, "an identical retry is none")
        var forged = honest
        forged.payload = .delta(StockKey(sku: "A-1", location: "store-1"), quantity: -9, reason: .sale)
        let report = try await hub.applyPushed([forged], from: store, locations: .own(store))
        #expect(report.duplicates == 1 && report.applied == 0)
        let conflicts = try await hub.conflicts().filter { $0.kind != "oversell" }
        #expect(conflicts.map(\.kind) == ["op_mismatch"], "\(conflicts)")
        #expect(try await hub.stock(code: "A-1", location: "store-1").quantity == -1, "the held op stays")
    }

    /// Two live items with one barcode after a merge had no conflict listed.
    @Test func aBarcodeOnTwoLiveItemsAfterAMergeIsListed() async throws {
        let (hub, _) = try await HostilePeerStoreTests.hub()
        let store = HostilePeerStoreTests.store1
        // store-1 gave C-3 the barcode of A-1 before it saw A-1's (a merge of edits made apart).
        let edit = HostilePeerStoreTests.op(
            1, .itemUpdate(sku: "C-3", fields: FieldAssignments([.barcodes: .texts(["4006381333931"])])))
        #expect(try await hub.applyPushed([edit], from: store, locations: .own(store)).applied == 1)
        let conflicts = try await hub.conflicts()
        #expect(conflicts.map(\.kind) == ["barcode_shared"], "\(conflicts)")
        #expect(conflicts.first?.detail.contains("4006381333931") == true)
    }
}

/// Findings 15, 23 and 25 of issue #11 at the store's door.
@Suite struct StoreDoorTests {
    /// Finding 15: SKUs and barcodes shared one lookup space unchecked.
    @Test func skusAndBarcodesStayOneLookupSpace() async throws {
        let store = try TestStores.make()
        try await TestStores.seedCatalogue(store)
        // A SKU equal to A-1's barcode could never be scanned by its SKU.
        await #expect(throws: StoreError.codeInUse(code: "4006381333931", sku: "A-1")) {
            try await store.createItem(
                sku: "4006381333931", fields: FieldAssignments([.name: .text("Clash")]), actor: "t")
        }
        // A GTIN-shaped SKU, then a barcode equal to it on another item: refused too.
        _ = try await store.createItem(sku: "5012345678900", fields: FieldAssignments([.name: .text("G")]), actor: "t")
        await #expect(throws: StoreError.codeInUse(code: "5012345678900", sku: "5012345678900")) {
            try await store.updateItem(
                sku: "C-3", fields: FieldAssignments([.barcodes: .texts(["5012345678900"])]), actor: "t")
        }
        // History names an item by SKU only, never through a barcode.
        await #expect(throws: StoreError.unknownCode("4006381333931")) {
            try await store.item(sku: "4006381333931", includeDeleted: true)
        }
        #expect(try await store.item(sku: "A-1").sku == "A-1")
    }

    /// Finding 23: token labels took newlines, escape sequences and 5,000 characters.
    @Test func tokenLabelsAreOneLineOfText() async throws {
        let store = try TestStores.make()
        for label in ["two\nlines", "\u{1b}[2Jclear", String(repeating: "x", count: 5000)] {
            await #expect(throws: StoreError.self) { try await store.createToken(role: .scanner, label: label) }
        }
        #expect(try await store.createToken(role: .scanner, label: "Till 3, front").info.label == "Till 3, front")
    }

    /// Finding 25: a store's data folder started as a hub without a word.
    @Test func aDataFolderKeepsItsRole() async throws {
        let directory = try TestStores.temporaryDirectory()
        let store = try TestStores.make(at: directory)
        try await store.claimRole("edge")
        try await store.claimRole("edge")
        await #expect(throws: StoreError.roleMismatch(stored: "edge", requested: "hub")) {
            try await store.claimRole("hub")
        }
    }
}

/// Finding 9 of issue #11: an admin's PATCH answered 200 and changed nothing, because a
/// peer's op stamped in the future held the register.
@Suite struct PinnedFieldTests {
    @Test func anEditThatLosesToAFutureStampIsRefusedAndWritesNothing() async throws {
        let (hub, _) = try await HostilePeerStoreTests.hub()
        let store = HostilePeerStoreTests.store1
        var ahead = HostilePeerStoreTests.op(
            1, .itemUpdate(sku: "A-1", fields: FieldAssignments([.name: .text("From the future")])))
        ahead.hlc = HLC(millis: StockroomStore.systemWallMillis() + 3_600_000)  // inside V6's day
        #expect(try await hub.applyPushed([ahead], from: store, locations: .own(store)).clamped == 1)
        let before = try await hub.statistics().ops
        await #expect(throws: StoreError.self) {
            try await hub.updateItem(sku: "A-1", fields: FieldAssignments([.name: .text("Now")]), actor: "admin")
        }
        #expect(try await hub.statistics().ops == before, "the losing edit was rolled back")
        // Other fields still take edits.
        let priced = try await hub.updateItem(sku: "A-1", fields: FieldAssignments([.price: .int(250)]), actor: "admin")
        #expect(priced.priceCents == 250)
    }
}
