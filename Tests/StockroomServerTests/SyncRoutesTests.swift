import Foundation
import HTTPTypes
import Hummingbird
import StockroomCore
import StockroomStore
import StockroomSync
import Testing

/// The sync endpoints on a hub: the peer token is bound to node `store-9`.
@Suite struct SyncRoutesTests {
    static let version: HTTPFields = [HTTPField.Name("Stockroom-Sync-Version")!: "1"]
    static let peer = NodeID("store-9")!

    static func ops(origin: NodeID = peer, seqs: ClosedRange<UInt64>, millis: UInt64 = 1_795_000_000_000) -> [Op] {
        seqs.map { seq in
            Op(
                id: OpID(origin: origin, seq: seq), hlc: HLC(millis: millis + seq), actor: "till",
                payload: .delta(StockKey(sku: "A-1", location: "store-9"), quantity: -1, reason: .sale))
        }
    }

    static func wire(_ ops: [Op], node: NodeID = peer) -> [UInt8] {
        WireCompression.wire(SyncBatch(node: node, ops: ops))
    }

    @Test func aPushAppliesOnceAndARetryAppliesNothing() async throws {
        let node = try await TestNode.make(role: "hub")
        try await node.test { client in
            let body = Self.wire(Self.ops(seqs: 1...3))
            let first = try await client.send(.post, "/v1/sync/push", as: .peer, bytes: body, headers: Self.version)
            #expect(
                first.status == .ok && first.json["applied"] as? Int == 3 && first.json["high_seq"] as? Int == 3,
                "\(first.text)")
            let retry = try await client.send(.post, "/v1/sync/push", as: .peer, bytes: body, headers: Self.version)
            #expect(retry.json["applied"] as? Int == 0 && retry.json["duplicates"] as? Int == 3)
        }
        #expect(try await node.store.stock(code: "A-1", location: "store-9").quantity == -3)
    }

    @Test func aPullAnswersABatchOfWhatConcernsThePeer() async throws {
        let node = try await TestNode.make(role: "hub")
        _ = try await node.store.recordScan(
            ScanCommand(scanID: "w1", code: "A-1", quantity: 2, action: .move(.sale), location: "store-9"), actor: "web"
        )
        _ = try await node.store.recordScan(
            ScanCommand(scanID: "w2", code: "A-1", quantity: 2, action: .move(.sale), location: "store-8"), actor: "web"
        )
        try await node.test { client in
            let reply = try await client.send(
                .post, "/v1/sync/pull", as: .peer, body: #"{"protocol":1,"node":"store-9","epoch":"","cursor":0}"#,
                headers: Self.version)
            #expect(reply.status == .ok && reply.headers[.contentType] == SyncClient.batchContentType)
            let batch = try WireCompression.batch(fromWire: reply.bytes)
            #expect(
                batch.ops.filter { $0.payload.stockKey != nil }.map { $0.payload.stockKey!.location } == ["store-9"])
            #expect(batch.ops.count == 3, "two catalogue ops and the sale at store-9")
        }
    }

    /// Every kind of bad sync input gets a clear error and applies nothing.
    @Test func badSyncInputIsRefusedAndAppliesNothing() async throws {
        let node = try await TestNode.make(role: "hub")
        let otherPeer = try await node.store.createToken(role: .peer, node: "store-7").token
        let bomb = WireCompression.compress([UInt8](repeating: 7, count: 80 << 20))
        var future = Self.ops(seqs: 1...2)
        future[1].hlc = HLC(millis: UInt64(Date().timeIntervalSince1970 * 1000) + 3 * 24 * 3600 * 1000)
        let futureOps = future
        let good = Self.wire(Self.ops(seqs: 1...2))
        let cases: [(String, Role?, String?, [UInt8], HTTPFields, HTTPResponse.Status, String)] = [
            ("no token", nil, nil, good, Self.version, .unauthorized, "unauthorized"),
            (
                "wrong token", nil, "sr_aaaaaaaaaa_" + String(repeating: "b", count: 52), good, Self.version,
                .unauthorized, "unauthorized"
            ),
            ("scanner token", .scanner, nil, good, Self.version, .forbidden, "forbidden"),
            ("token of another node", nil, otherPeer, good, Self.version, .forbidden, "node_mismatch"),
            (
                "foreign origin", .peer, nil, Self.wire(Self.ops(origin: NodeID("store-1")!, seqs: 1...2)),
                Self.version, .forbidden, "foreign_origin"
            ),
            (
                "gap in seq", .peer, nil, Self.wire(Self.ops(seqs: 2...3)), Self.version, .unprocessableContent,
                "sequence_gap"
            ),
            ("malformed body", .peer, nil, Array("not a batch".utf8), Self.version, .badRequest, "malformed_batch"),
            (
                "truncated body", .peer, nil, Array(good.prefix(good.count / 2)), Self.version, .badRequest,
                "malformed_batch"
            ),
            (
                "body damaged on the way (its SHA-256 differs)", .peer, nil, good,
                {
                    var fields = Self.version
                    fields[HTTPField.Name(WireCompression.digestHeader)!] = String(repeating: "ab", count: 32)
                    return fields
                }(),
                .badRequest, "digest_mismatch"
            ),
            ("no version header", .peer, nil, good, [:], .badRequest, "unsupported_protocol_version"),
            (
                "unknown version", .peer, nil, good, [HTTPField.Name("Stockroom-Sync-Version")!: "9"], .badRequest,
                "unsupported_protocol_version"
            ),
            ("decompression bomb", .peer, nil, bomb, Self.version, .contentTooLarge, "decompressed_too_large"),
            (
                "oversized body", .peer, nil, [UInt8](repeating: 1, count: (16 << 20) + 1), Self.version,
                .contentTooLarge, "body_too_large"
            ),
        ]
        try await node.test { client in
            for (name, role, token, body, headers, status, code) in cases {
                let reply = try await client.send(
                    .post, "/v1/sync/push", as: role, token: token, bytes: body, headers: headers)
                #expect(reply.status == status, "\(name): \(reply.text.prefix(300))")
                #expect(reply.errorCode == code, "\(name): \(reply.text.prefix(300))")
            }
            let foreignPull = try await client.send(
                .post, "/v1/sync/pull", as: .peer, body: #"{"protocol":1,"node":"store-1","epoch":"","cursor":0}"#,
                headers: Self.version)
            #expect(foreignPull.status == .forbidden && foreignPull.errorCode == "node_mismatch")
            let versionPull = try await client.send(
                .post, "/v1/sync/pull", as: .peer, body: #"{"protocol":6,"node":"store-9","epoch":"","cursor":0}"#,
                headers: Self.version)
            #expect(versionPull.errorCode == "unsupported_protocol_version")
            // Every pull answer carries the SHA-256 of its inflated body (section 5.1).
            let pulled = try await client.send(
                .post, "/v1/sync/pull", as: .peer, body: #"{"protocol":1,"node":"store-9","epoch":"","cursor":0}"#,
                headers: Self.version)
            let inflated = try WireCompression.decompress(pulled.bytes)
            #expect(pulled.headers[HTTPField.Name(WireCompression.digestHeader)!] == WireCompression.digest(inflated))
        }
        #expect(try await node.store.statistics().ops == 2, "bad sync input applied ops")
        // Rule T1: an op stamped days ahead is applied as it is (its stock effect does not
        // depend on time), this node's clock does not follow it, and a conflict names it.
        try await node.test { client in
            let reply = try await client.send(
                .post, "/v1/sync/push", as: .peer, bytes: Self.wire(futureOps), headers: Self.version)
            #expect(reply.status == .ok && reply.json["clamped"] as? Int == 1, "\(reply.text)")
            let conflicts =
                try await client.send(.get, "/v1/conflicts?all=true").json["items"] as? [[String: Any]] ?? []
            #expect(conflicts.contains { $0["kind"] as? String == "clock_clamped" }, "\(conflicts)")
        }
        #expect(node.store.writeContext.clock.last.millis < StockroomStore.systemWallMillis() + 3_600_000)
    }
}
