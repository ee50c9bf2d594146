import Foundation
import Testing

/// Issue #16, the operator's tools for a hub on PostgreSQL, with the real binary, the real
/// server and Debian's pg_dump and pg_restore: moving a SQLite hub into PostgreSQL, checking
/// the log, backing it up and restoring it, and migrating.
@Suite(.serialized) struct PostgresToolsEndToEndTests {
    typealias PG = PostgresHubEndToEndTests

    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var bin: String { environment["STOCKROOM_TEST_PG_BIN"]! }
    static var port: String { String(environment["STOCKROOM_TEST_POSTGRES"]!.split(separator: ":").last!) }
    static func name(_ url: String) -> String { String(url.split(separator: "/").last!.split(separator: "?").first!) }

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try NodeProcess.runProgram(bin + "/" + tool, arguments)
    }

    @Test func aSQLiteHubMovesToPostgresIsBackedUpRestoredAndKeepsSyncing() async throws {
        guard let database = try PG.freshDatabase() else { return }
        let two = try SyncEndToEndTests.Chain.make()
        let chain = SyncEndToEndTests.Chain(hub: two.hub, stores: [two.stores[0]], hubPort: two.hubPort, skus: two.skus)
        try await chain.startHub()
        try await chain.startStore(0)
        let first = try await chain.scan(at: 0, batches: 2, seed: 16, tag: "sqlite")
        #expect(try await chain.waitForAgreement(timeout: 30, nudge: true))
        chain.stores[0].kill(signal: SIGTERM)
        _ = try await chain.stores[0].waitForExit()

        // The hub must be stopped to be exported.
        let refused = try chain.hub.run(["hub", "export-to-postgres", "--database", database])
        #expect(refused.status != 0 && refused.output.contains("stop the hub"), "\(refused.output)")
        chain.hub.kill(signal: SIGTERM)
        _ = try await chain.hub.waitForExit()
        let exported = try chain.hub.run(["hub", "export-to-postgres", "--database", database])
        #expect(exported.status == 0 && exported.output.contains("verified"), "\(exported.output)")
        let again = try chain.hub.run(["hub", "export-to-postgres", "--database", database])
        #expect(again.status == 0 && again.output.contains("exported 0 ops"), "running it twice adds nothing")
        let checked = try NodeProcess.runBinary(["hub", "check", "--database", database])
        #expect(checked.status == 0 && checked.output.contains("problems:  none"), "\(checked.output)")

        // Back up with pg_dump, restore into a new database, renew its epoch.
        let dump = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString).dump").path
        let dumped = try Self.run(
            "pg_dump", ["-Fc", "-h", "127.0.0.1", "-p", Self.port, "-U", "stockroom", "-f", dump, Self.name(database)])
        try #require(dumped.status == 0, "\(dumped.output)")
        guard let restoredURL = try PG.freshDatabase() else { return }
        let restored = try Self.run(
            "pg_restore", ["-h", "127.0.0.1", "-p", Self.port, "-U", "stockroom", "-d", Self.name(restoredURL), dump])
        try #require(restored.status == 0, "\(restored.output)")
        let renewed = try NodeProcess.runBinary(["hub", "restored", "--database", restoredURL])
        #expect(renewed.status == 0 && renewed.output.contains("new epoch"), "\(renewed.output)")
        let checkedRestore = try NodeProcess.runBinary(["hub", "check", "--database", restoredURL])
        #expect(checkedRestore.status == 0, "\(checkedRestore.output)")

        // The hub runs on the restored database (its folder is now the replica); the store
        // syncs on, with a token made in the hub's folder while it runs.
        try await chain.hub.start(
            extraArguments: ["--role", "hub", "--database", restoredURL], listen: "127.0.0.1:\(chain.hubPort)")
        try await chain.stores[0].start(extraArguments: [
            "--node", "store-1", "--hub", chain.hubURL, "--hub-token", Self.peerToken(chain),
        ])
        let second = try await chain.scan(at: 0, batches: 2, seed: 17, tag: "postgres")
        let agreed = try await chain.waitForAgreement(timeout: 30, nudge: true)
        #expect(agreed, "the store and the hub agree after the move")
        #expect(try await chain.opsAtHub(origin: "store-1") == first + second)
        let finalCheck = try NodeProcess.runBinary(["hub", "check", "--database", restoredURL])
        #expect(finalCheck.status == 0 && finalCheck.output.contains("problems:  none"), "\(finalCheck.output)")
        chain.stores[0].kill(signal: SIGTERM)
        chain.hub.kill(signal: SIGTERM)
        _ = try await chain.stores[0].waitForExit()
        _ = try await chain.hub.waitForExit()
        #expect(try chain.hub.run(["check"]).status == 0)

        // Damage is found and named.
        _ = try PG.psql(
            bin: Self.bin, port: Self.port, database: Self.name(restoredURL),
            "DELETE FROM op_chunks WHERE position = (SELECT min(position) FROM op_chunks WHERE origin = 'store-1')")
        let damaged = try NodeProcess.runBinary(["hub", "check", "--database", restoredURL])
        #expect(damaged.status != 0 && damaged.output.contains("missing"), "\(damaged.output)")
    }

    /// A new peer token for store-1, made in the hub's folder.
    static func peerToken(_ chain: SyncEndToEndTests.Chain) throws -> String {
        let made = try chain.hub.run(["token", "create", "--role", "peer", "--node", "store-1"])
        return made.output.split(separator: "\n").last.map(String.init) ?? ""
    }

    @Test func toolsRefuseWhatIsNotThereAndMigrateSaysWhatItDid() async throws {
        guard let database = try PG.freshDatabase() else { return }
        let empty = try NodeProcess.runBinary(["hub", "check", "--database", database])
        #expect(empty.status != 0 && empty.output.contains("holds no hub log"), "\(empty.output)")
        let dry = try NodeProcess.runBinary(["migrate", "--database", database, "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("to apply: version 1, version 2"), "\(dry.output)")
        let migrated = try NodeProcess.runBinary(["migrate", "--database", database])
        #expect(migrated.status == 0 && migrated.output.contains("applied version 1, version 2"), "\(migrated.output)")
        let again = try NodeProcess.runBinary(["migrate", "--database", database])
        #expect(again.output.contains("up to date"), "\(again.output)")
        _ = try PG.psql(
            bin: Self.bin, port: Self.port, database: Self.name(database),
            "INSERT INTO stockroom_schema (version) VALUES (42)")
        let newer = try NodeProcess.runBinary(["migrate", "--database", database])
        #expect(newer.status != 0 && newer.output.contains("version 42"), "\(newer.output)")
        let wrong = try NodeProcess.runBinary(["hub", "check", "--database", "postgres://nobody/x"])
        #expect(wrong.status != 0 && wrong.output.contains("names no user"), "\(wrong.output)")
        let store = try NodeProcess.runBinary(["serve", "--database", database])
        #expect(store.status != 0 && store.output.contains("--database is for a hub"), "\(store.output)")
    }
}
