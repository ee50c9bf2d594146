import Foundation
import StockroomTesting
import Testing

/// Secrets at rest and in logs, over a full run of a hub and a store at log level trace.
@Suite(.serialized) struct SecretsTests {
    /// The secret part of `sr_<id>_<secret>`: the id is public (`token list` shows it).
    static func secret(of token: String) -> String {
        String(token.split(separator: "_", maxSplits: 2).last ?? Substring(token))
    }

    @Test func noSecretAppearsInLogsOrInTheDatabase() async throws {
        let seed = SeededGenerator.testSeed()
        let full = try SyncEndToEndTests.Chain.make()
        let chain = SyncEndToEndTests.Chain(
            hub: full.hub, stores: [full.stores[0]], hubPort: full.hubPort, skus: full.skus)
        try await chain.hub.start(
            extraArguments: ["--role", "hub", "--log-level", "trace"], listen: "127.0.0.1:\(chain.hubPort)")
        let peerToken =
            try chain.hub.run(["token", "create", "--role", "peer", "--node", "store-1"]).output
            .split(separator: "\n").last.map(String.init) ?? ""
        let store = chain.stores[0]
        try await store.start(extraArguments: [
            "--node", "store-1", "--hub", chain.hubURL, "--hub-token", peerToken, "--log-level", "trace",
        ])
        _ = try await chain.scan(at: 0, batches: 2, seed: seed, tag: "s")
        // A wrong token, a revoked one and a peer token used from the wrong node all get
        // logged as refusals; none of them may be logged as it was sent.
        let revoked =
            try store.run(["token", "create", "--role", "staff", "--label", "leaver"]).output
            .split(separator: "\n").last.map(String.init) ?? ""
        let list = try store.run(["token", "list"]).output
        let revokedID = list.split(separator: "\n").first { $0.contains("leaver") }?.split(separator: " ").first
        #expect(try store.run(["token", "revoke", String(revokedID ?? "")]).status == 0)
        let wrong = "sr_0123456789_" + String(repeating: "q", count: 52)
        for token in [revoked, wrong, peerToken] {
            let client = NodeClient(http: .shared, base: "http://127.0.0.1:\(store.port)", token: token)
            let reply = try await client.send(.GET, "/v1/stock/\(chain.skus[0])")
            #expect(reply.status == 401 || reply.status == 403)
        }
        let admin = try chain.client(store, role: "admin")
        _ = try await admin.send(.POST, "/v1/sync")
        _ = try await admin.send(.GET, "/v1/sync/status")
        #expect(try await chain.waitForAgreement(), "seed \(seed)")
        for node in [chain.hub, store] {
            node.kill(signal: SIGTERM)
            _ = try await node.waitForExit()
        }

        var secrets = [revoked, wrong, peerToken].map(Self.secret)
        for node in [chain.hub, store] { secrets += try node.credentials().values.map(Self.secret) }
        #expect(secrets.count == 7 && secrets.allSatisfy { $0.count >= 40 }, "\(secrets)")
        let logs = chain.hub.log + store.log
        #expect(logs.count > 5_000, "the trace logs are suspiciously short: \(logs.count) bytes")
        for secret in secrets {
            #expect(!logs.contains(secret), "a token secret appears in a log")
        }
        // Hashed at rest: no secret appears in the database or its WAL, byte for byte.
        for node in [chain.hub, store] {
            for file in ["stockroom.sqlite", "stockroom.sqlite-wal"] {
                guard let bytes = FileManager.default.contents(atPath: node.dataDirectory + "/" + file) else {
                    continue
                }
                for secret in secrets {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "a token secret is stored in \(file)")
                }
            }
            let mode =
                try FileManager.default.attributesOfItem(atPath: node.dataDirectory + "/credentials.json")[
                    .posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }
}
