import Foundation
import StockroomCore
import StockroomStore
import Testing

/// Section 13: a person's resolution of a conflict is a `conflict_resolution` setting op
/// (protocol 5). It closes the conflict on every node that holds both, whichever arrived
/// first, changes no stock, and is never sent to a puller of version 4.
@Suite struct ConflictResolutionTests {
    @Test func keysAndValuesHaveTheirShapes() {
        #expect(ConflictResolution.Key("oversell|store-1:812")?.identity == "store-1:812")
        #expect(ConflictResolution.Key("concurrent_count|store-1:90,store-2:41")?.kind == "concurrent_count")
        #expect(ConflictResolution.Key("transfer_discrepancy|transfer:T-1/transfer_discrepancy/A-1") != nil)
        for bad in ["oversell", "|store-1:1", "Oversell|x", "over sell|x", "oversell|"] {
            #expect(ConflictResolution.Key(bad) == nil, "\(bad)")
        }
        let good = Setting(
            namespace: .conflictResolution, key: "oversell|store-1:812",
            value: ConflictResolution(by: "user:maria", reason: "counted: 3 in the back room").text)
        #expect(good.problem == nil)
        #expect(good.protocolVersion == 5)
        #expect(!good.isLocationScoped)
        for value in [
            "by=user:maria", "by=x;reason=", "by=x;reason=ok;extra=1",
            "by=x;reason=" + String(repeating: "r", count: 201),
        ] {
            #expect(
                Setting(namespace: .conflictResolution, key: "oversell|store-1:812", value: value).problem != nil,
                "\(value)")
        }
    }

    @Test func aResolutionClosesTheConflictOnAnotherNodeInEitherOrder() async throws {
        let a = try TestStores.make(node: "store-1")
        try await TestStores.seedCatalogue(a)
        // An oversell: two sold, none on the shelf.
        _ = try await a.recordScan(.sale("s-1", "A-1", 2), actor: "till")
        let open = try await a.conflicts()
        let oversell = try #require(open.first { $0.kind == "oversell" && $0.sku == "A-1" })
        let before = try await a.stock(code: "A-1")
        let resolved = try await a.resolveConflict(
            id: oversell.id, reason: "counted: 2 in the back room", actor: "user:maria")
        #expect(resolved.resolution?.reason == "counted: 2 in the back room" && resolved.resolvedHLC != nil)
        #expect(try await a.conflicts().allSatisfy { $0.id != oversell.id })
        #expect(try await a.openConflictCount() == Int64(open.count - 1))
        #expect(try await a.stock(code: "A-1").quantity == before.quantity, "a resolution changed stock")
        await #expect(throws: StoreError.self) { try await a.resolveConflict(id: 999_999, reason: "x", actor: "u") }

        // A resolution made on another node (store-2, which had the oversell from store-1)
        // reaches a third node before or after the ops that raised the conflict.
        let raised = try await a.ownOps(after: 0, limit: 10_000).filter {
            if case .setting = $0.payload { return false }
            return true
        }
        let b = try TestStores.make(node: "store-2")
        _ = try await b.applyRemote(raised)
        let onB = try #require(try await b.conflicts().first { $0.kind == "oversell" && $0.sku == "A-1" })
        _ = try await b.resolveConflict(id: onB.id, reason: "counted at store-2", actor: "user:sam")
        let resolutionOps = try await b.ownOps(after: 0, limit: 10)
        let fromB = try #require(resolutionOps.first)
        guard case .setting(let setting) = fromB.payload else {
            Issue.record("the resolution is not a setting op")
            return
        }
        #expect(setting.namespace == .conflictResolution && setting.key == oversell.resolutionKey.description)
        for resolutionFirst in [true, false] {
            let c = try TestStores.make(node: "store-3")
            if resolutionFirst {
                _ = try await c.applyRemote(resolutionOps)
                _ = try await c.applyRemote(raised)
            } else {
                _ = try await c.applyRemote(raised)
                #expect(try await c.conflicts().contains { $0.kind == "oversell" && $0.sku == "A-1" })
                _ = try await c.applyRemote(resolutionOps)
            }
            let same = try #require(
                try await c.conflicts(includeResolved: true).first { $0.kind == "oversell" && $0.sku == "A-1" })
            #expect(same.resolution?.by == "user:sam", "resolution first: \(resolutionFirst)")
            #expect(try await c.conflicts().allSatisfy { $0.id != same.id }, "resolution first: \(resolutionFirst)")
        }
        let ops = try await a.ownOps(after: 0, limit: 10_000)
        let resolution = try #require(ops.last)

        // On the wire: a batch holding it is version 5, and a version-4 puller is not sent it.
        let batch = SyncBatch(node: NodeID("store-1")!, ops: [resolution])
        let bytes = BatchCodec.encode(batch)
        #expect(try BatchCodec.decode(bytes).ops == [resolution])
        let forFour = try await a.pullBatch(
            epoch: "", cursor: 0, interest: .origin(NodeID("store-1")!), limit: 10_000, protocolVersion: 4)
        #expect(!forFour.ops.contains(resolution))
        let forFive = try await a.pullBatch(
            epoch: "", cursor: 0, interest: .origin(NodeID("store-1")!), limit: 10_000, protocolVersion: 5)
        #expect(forFive.ops.contains(resolution))
    }
}
