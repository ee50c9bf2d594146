import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StockroomCore
import StockroomSync
import Testing

/// The upgrade promise (issues #12 to #17), against the data folders and sync exchanges
/// made by earlier releases: fixtures/v1 (issue #11: protocol 1, schema v4), fixtures/v2
/// (issue #12: protocol 2, schema v5, with documents), fixtures/v3 (issue #13: protocol
/// 3, schema v6, with settings), fixtures/v4 (issue #14: protocol 4, schema v7, business
/// time and money), fixtures/v5 (issue #15: protocol 5, schema v9, users and a resolved
/// conflict) and fixtures/v6 (issue #16: protocol 5, schema v10, user versions).
@Suite(.serialized) struct UpgradeTests {
    static let versions = ["v1", "v2", "v3", "v4", "v5", "v6"]

    /// A copy of a fixture folder, so the test never changes the fixture.
    static func copy(_ name: String, of version: String) throws -> NodeProcess {
        let node = try NodeProcess()
        try FileManager.default.removeItem(atPath: node.dataDirectory)
        try FileManager.default.copyItem(
            atPath: NodeProcess.fixtures + "/\(version)/" + name, toPath: node.dataDirectory)
        return node
    }

    static func expected(_ name: String, of version: String) throws -> [String: Any] {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: "\(NodeProcess.fixtures)/\(version)/\(name).expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static let folders = versions.flatMap { version in
        [(version, "hub", ["--role", "hub", "--node", "hub"]), (version, "store-1", ["--node", "store-1"])]
    }

    @Test(arguments: folders)
    func aDataFolderOfTheOldReleaseOpensMigratesAndKeepsEveryQuantity(
        version: String, name: String, arguments: [String]
    ) async throws {
        let node = try Self.copy(name, of: version)
        let check = try node.run(["check"])
        #expect(check.status == 0, "stockroom check on the migrated \(name): \(check.output)")
        try await node.start(extraArguments: arguments)
        defer { node.kill(signal: SIGTERM) }
        let http = HTTPClient.shared
        let client = NodeClient(
            http: http, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["admin"]!)
        let expected = try Self.expected(name, of: version)
        let status = try await client.send(.GET, "/v1/status").body
        #expect(status["ops"] as? Int == expected["ops"] as? Int)
        #expect(status["items"] as? Int == expected["items"] as? Int)
        #expect(status["open_conflicts"] as? Int == expected["open_conflicts"] as? Int)
        #expect(
            (status["version_vector"] as? [String: Int]) == (expected["version_vector"] as? [String: Int]),
            "\(status)")
        let cells = try #require(expected["cells"] as? [String: Int])
        // fixtures/v1 predates the states: everything is on hand and nothing committed.
        let states = expected["states"] as? [String: [String: Int]]
        var seen = 0
        for location in Set(cells.keys.map { String($0.split(separator: "@")[1]) }) {
            let page = try await client.send(.GET, "/v1/stock?location=\(location)&limit=1000").body
            for item in page["items"] as? [[String: Any]] ?? [] {
                let key = "\(item["sku"] as! String)@\(location)"
                #expect(item["quantity"] as? Int == cells[key], "\(version) \(name) \(key)")
                for (state, value) in states?[key] ?? ["on_hand": cells[key] ?? -1, "committed": 0] {
                    #expect(item[state] as? Int == value, "\(version) \(name) \(key) \(state)")
                }
                seen += 1
            }
        }
        #expect(seen == cells.count)
        for (document, status) in expected["documents"] as? [String: String] ?? [:] {
            let answer = try await client.send(.GET, "/v1/\(document)").body
            #expect(answer["status"] as? String == status, "\(version) \(name) \(document)")
        }
    }

    /// `stockroom migrate` alone (for operators who migrate before they start): a dry run
    /// names what would run and changes nothing; the run applies it; a second run has
    /// nothing to do; the result checks out.
    @Test func migrateRunsTheMigrationsAloneAndOnlyOnce() throws {
        let node = try Self.copy("store-1", of: "v1")
        let database = node.dataDirectory + "/stockroom.sqlite"
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let dry = try node.run(["migrate", "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("to apply: v5-"), "\(dry.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before, "a dry run changed the file")
        let run = try node.run(["migrate"])
        #expect(run.status == 0 && run.output.contains("applied; schema is now v"), "\(run.output)")
        let again = try node.run(["migrate"])
        #expect(again.status == 0 && again.output.contains("up to date"), "\(again.output)")
        #expect(try node.run(["check"]).status == 0)
    }

    /// A downgrade: a folder a newer release migrated is refused by every command that would
    /// open it, with both schema versions named and what to do, and no byte of it changes.
    @Test func aDowngradeIsRefusedByEveryCommandAndChangesNothing() throws {
        let node = try Self.copy("store-1", of: "v6")
        #expect(try node.run(["migrate"]).status == 0)
        // What a newer release leaves: a migration this binary does not know (Python's own
        // sqlite3, so the test does not go through the code under test to make it).
        let database = node.dataDirectory + "/stockroom.sqlite"
        let insert = try NodeProcess.runProgram(
            "/usr/bin/python3",
            [
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v99-from-a-newer-release')\"); c.commit(); c.close()",
                database,
            ])
        #expect(insert.status == 0, "\(insert.output)")
        let folder = try FileManager.default.contentsOfDirectory(atPath: node.dataDirectory).sorted()
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        for command in [["serve", "--listen", "127.0.0.1:0"], ["migrate"], ["check"], ["status"], ["doctor"]] {
            let result = try node.run(command)
            #expect(result.status != 0, "\(command) ran on a newer folder: \(result.output)")
            #expect(
                result.output.contains("newer stockroom") && result.output.contains("v99-from-a-newer-release")
                    && result.output.contains(StockroomVersionText.schema),
                "\(command): \(result.output)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before, "a refused command changed the file")
        // `serve` and `migrate` take the folder's LOCK before they open it: that empty file is
        // the only thing a refused command may leave.
        let after = try FileManager.default.contentsOfDirectory(atPath: node.dataDirectory).sorted()
        #expect(after.filter { $0 != "LOCK" } == folder.filter { $0 != "LOCK" }, "\(folder) became \(after)")
    }

    /// What `stockroom --version` says of the schema (the end-to-end tests link no module of
    /// the binary's).
    enum StockroomVersionText {
        static var schema: String {
            let output = (try? NodeProcess.runBinary(["--version"]).output) ?? ""
            return output.split(separator: "\n").first { $0.hasPrefix("schema: ") }
                .map { String($0.dropFirst(8).prefix { $0 != " " }) } ?? "unknown"
        }
    }

    /// The migrated store and hub sync with the current protocol, new op kinds included.
    @Test(arguments: versions) func theMigratedStoreSyncsWithACurrentHub(version: String) async throws {
        let hub = try Self.copy("hub", of: version)
        let store = try Self.copy("store-1", of: version)
        let created = try hub.run(["token", "create", "--role", "peer", "--node", "store-1"]).output
        let token = try #require(created.split(separator: "\n").first { $0.hasPrefix("sr_") }.map(String.init))
        try await hub.start(extraArguments: ["--role", "hub", "--node", "hub"])
        defer { hub.kill(signal: SIGTERM) }
        try await store.start(extraArguments: [
            "--node", "store-1", "--hub", "http://127.0.0.1:\(hub.port)", "--hub-token", token,
        ])
        defer { store.kill(signal: SIGTERM) }
        let http = HTTPClient.shared
        let atHub = NodeClient(http: http, base: "http://127.0.0.1:\(hub.port)", token: try hub.credentials()["admin"]!)
        let atStore = NodeClient(
            http: http, base: "http://127.0.0.1:\(store.port)", token: try store.credentials()["admin"]!)
        let web = try await atHub.send(
            .POST, "/v1/orders",
            json:
                #"{"source":"web","external_id":"w1","location":"store-1","lines":[{"sku":"BEV-000001","qty":1}],"backorder":true}"#
        )
        #expect(web.status == 201, "\(web.body)")
        let till = try await atStore.send(
            .POST, "/v1/orders", json: #"{"source":"pos","external_id":"p1","lines":[{"sku":"HOU-000004","qty":2}]}"#)
        #expect(till.status == 201, "\(till.body)")
        let deadline = Date().addingTimeInterval(20)
        var synced = false
        while Date() < deadline && !synced {
            let there = try await atHub.send(.GET, "/v1/orders/pos:p1").status
            let here = try await atStore.send(.GET, "/v1/orders/web:w1").status
            synced = there == 200 && here == 200
            if !synced { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(synced, "orders did not cross between the migrated store and hub; store log: \(store.log.suffix(2000))")
        let before = version == "v1" ? 0 : 2  // fixtures/v2 and later hold web:1001, 2 units of BEV-000001
        let committed = try await atStore.send(.GET, "/v1/stock/BEV-000001").body["committed"] as? Int
        #expect(committed == before + 1)
        // Issue #13's setting ops cross too: a chain rule set at the hub reaches the store.
        let rule = try await atHub.send(.PUT, "/v1/alert-rules", json: #"{"kind":"low","threshold":3}"#)
        #expect(rule.status == 200, "\(rule.body)")
        let ruleDeadline = Date().addingTimeInterval(20)
        var arrived = false
        while Date() < ruleDeadline && !arrived {
            // fixtures/v3 and later hold a rule the store set for itself.
            arrived =
                (try await atStore.send(.GET, "/v1/alert-rules").body["items"] as? [Any])?.count
                == (["v1", "v2"].contains(version) ? 1 : 2)
            if !arrived { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(arrived, "the hub's alert rule did not reach the migrated store")
    }

    /// Stores of the old releases keep syncing with a hub of this one: their recorded pushes
    /// get the same answers, and their pulls get batches of their own version with the same
    /// ops first.
    @Test(arguments: versions) func recordedExchangesReplayAgainstTheCurrentHub(version: String) async throws {
        let lines = try String(
            contentsOfFile: NodeProcess.fixtures + "/\(version)/exchanges.jsonl", encoding: .utf8
        ).split(separator: "\n")
        let exchanges = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(exchanges.count >= 10)
        let before = try Self.copy("hub-before", of: version)
        let after = try Self.copy("hub", of: version)
        try await before.start(extraArguments: ["--role", "hub", "--node", "hub"])
        defer { before.kill(signal: SIGTERM) }
        try await after.start(extraArguments: ["--role", "hub", "--node", "hub"])
        defer { after.kill(signal: SIGTERM) }
        let http = HTTPClient.shared
        var pushes = 0
        var pulls = 0
        for exchange in exchanges {
            let path = exchange["path"] as! String
            // Pushes replay against the hub as it was before them; pulls against the hub
            // that holds every op (the recorded answer's ops must come first in the new one).
            let target = path.hasSuffix("push") ? before : after
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(target.port)\(path)")
            request.method = .POST
            for (name, value) in exchange["headers"] as! [String: String] {
                request.headers.add(name: name, value: value)
            }
            request.body = .bytes(ByteBuffer(bytes: Data(base64Encoded: exchange["body"] as! String)!))
            let response = try await http.execute(request, timeout: .seconds(10))
            let body = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            let recorded = [UInt8](Data(base64Encoded: exchange["answer"] as! String)!)
            #expect(
                Int(response.status.code) == exchange["status"] as? Int,
                "\(path): \(String(decoding: body, as: UTF8.self))")
            if path.hasSuffix("push") {
                pushes += 1
                let new = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
                let old = try JSONSerialization.jsonObject(with: Data(recorded)) as? [String: Any] ?? [:]
                for key in ["applied", "duplicates", "high_seq", "node", "protocol"] {
                    #expect("\(new[key] ?? "-")" == "\(old[key] ?? "-")", "push answer \(key): \(new) vs \(old)")
                }
            } else {
                pulls += 1
                let inflated = try WireCompression.decompress(body)
                // A store of protocol N gets a batch of at most version N (a version-2 store
                // is sent a version-1 batch when every op in it is of a version-1 kind).
                let protocolVersion = ["v1": 1, "v2": 2, "v3": 3, "v4": 4, "v5": 5, "v6": 5][version]!
                #expect(
                    Array(inflated.prefix(4)) == Array("SRB1".utf8) && Int(inflated[4]) <= protocolVersion,
                    "a protocol-\(protocolVersion) store got a batch of version \(inflated[4])")
                let new = try WireCompression.batch(fromWire: body)
                let old = try WireCompression.batch(fromWire: recorded)
                #expect(
                    Array(new.ops.prefix(old.ops.count)) == old.ops,
                    "pull: the recorded ops are not the new answer's first")
                #expect(new.epoch == old.epoch)
            }
        }
        #expect(pushes > 0 && pulls > 0)
    }
}
