import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StockroomTesting
import Testing

/// Issue #16: a chain whose hub is two `stockroom` processes over one PostgreSQL database,
/// and two stores, all real processes on loopback. Each store lists both hub processes.
/// Hub processes are SIGKILLed and restarted while the stores scan; at the end nothing
/// acknowledged is lost, nothing is applied twice, and every node agrees.
///
/// PostgreSQL comes from `Tests/Postgres/with-postgres.sh` (run by `make test`).
@Suite(.serialized) struct PostgresHubEndToEndTests {
    /// A new database on the test server, made with Debian's psql; nil when there is none.
    static func freshDatabase() throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["STOCKROOM_TEST_POSTGRES"], let bin = environment["STOCKROOM_TEST_PG_BIN"] else {
            if environment["STOCKROOM_REQUIRE_POSTGRES"] == "1" {
                Issue.record(
                    "STOCKROOM_TEST_POSTGRES is not set: run the tests through Tests/Postgres/with-postgres.sh")
            }
            return nil
        }
        let name = "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let port = String(base.split(separator: ":").last!)
        let created = try psql(bin: bin, port: port, database: "postgres", "CREATE DATABASE \(name)")
        guard created.status == 0 else { throw Failure("createdb failed: \(created.output)") }
        return "\(base)/\(name)?sslmode=disable"
    }

    static func psql(
        bin: String, port: String, database: String, _ sql: String
    ) throws -> (
        status: Int32, output: String
    ) {
        try NodeProcess.runProgram(
            bin + "/psql", ["-qAt", "-h", "127.0.0.1", "-p", port, "-U", "stockroom", "-d", database, "-c", sql])
    }

    @Test func twoHubProcessesKilledInTurnLoseNothingAndApplyNothingTwice() async throws {
        guard let database = try Self.freshDatabase() else { return }
        let seed = UInt64.random(in: 1...UInt64.max)
        let hubA = try NodeProcess()
        let hubB = try NodeProcess()
        let catalogue = try CrashRecoveryTests.catalogue(rows: 30)
        let imported = try hubA.run(["import", "catalog", catalogue, "--node", "hub-a"])
        try #require(imported.status == 0, "\(imported.output)")
        let skus = try String(contentsOfFile: catalogue, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: ",")[0]) }
        let (portA, portB) = (try freePort(), try freePort())
        func start(_ hub: NodeProcess, _ node: String, _ port: Int) async throws {
            try await hub.start(
                extraArguments: ["--role", "hub", "--node", node, "--database", database],
                listen: "127.0.0.1:\(port)")
        }
        try await start(hubA, "hub-a", portA)
        try await start(hubB, "hub-b", portB)

        // Peer tokens made on hub A reach hub B through the database.
        var tokens: [String] = []
        for node in ["store-1", "store-2"] {
            let made = try hubA.run(["token", "create", "--role", "peer", "--node", node])
            try #require(made.status == 0, "\(made.output)")
            tokens.append(made.output.split(separator: "\n").last.map(String.init) ?? "")
        }
        let shared = Date().addingTimeInterval(15)
        while try hubB.run(["token", "list"]).output.components(separatedBy: "store-").count < 3 {
            try #require(Date() < shared, "the peer tokens made on hub A did not reach hub B")
            try await Task.sleep(for: .milliseconds(200))
        }

        let stores = [try NodeProcess(), try NodeProcess()]
        let urls = ["http://127.0.0.1:\(portA)", "http://127.0.0.1:\(portB)"]
        for (index, store) in stores.enumerated() {
            // Each store starts on a different hub process and moves on when it fails.
            let list = index == 0 ? urls : urls.reversed()
            try await store.start(extraArguments: [
                "--node", "store-\(index + 1)", "--hub", list.joined(separator: ","), "--hub-token", tokens[index],
            ])
        }
        let viaA = SyncEndToEndTests.Chain(hub: hubA, stores: stores, hubPort: portA, skus: skus)
        let viaB = SyncEndToEndTests.Chain(hub: hubB, stores: stores, hubPort: portB, skus: skus)

        var acknowledged = [0, 0]
        var step: UInt64 = 0
        func scanBoth(_ tag: String) async throws {
            step += 1
            for index in 0..<2 {
                acknowledged[index] += try await viaA.scan(
                    at: index, batches: 3, seed: seed &+ step &* 2 &+ UInt64(index), tag: tag)
            }
        }
        try await scanBoth("before")
        for (round, (victim, node, port)) in [(hubA, "hub-a", portA), (hubB, "hub-b", portB), (hubA, "hub-a", portA)]
            .enumerated()
        {
            victim.kill(signal: SIGKILL)
            _ = try await victim.waitForExit()
            try await scanBoth("down-\(round)")
            try await Task.sleep(for: .seconds(2))  // the stores sync through the other process
            try await start(victim, node, port)
            try await scanBoth("up-\(round)")
        }

        #expect(acknowledged == [2100, 2100], "seed \(seed): the stores took every scan while hub processes died")
        for store in stores {
            #expect(store.log.contains("trying the next URL"), "the store moved to the other hub process")
        }
        #expect(try await viaA.waitForAgreement(timeout: 60, nudge: true), "seed \(seed): stores and hub A agree")
        #expect(try await viaB.waitForAgreement(timeout: 30, nudge: true), "seed \(seed): stores and hub B agree")
        for index in 0..<2 {
            let origin = "store-\(index + 1)"
            #expect(try await viaA.opsAtHub(origin: origin) == acknowledged[index], "seed \(seed): \(origin) at hub A")
            #expect(try await viaB.opsAtHub(origin: origin) == acknowledged[index], "seed \(seed): \(origin) at hub B")
        }
        // Each process reports the shared log and its replica's distance from it.
        for hub in [hubA, hubB] {
            let status = try await viaA.client(hub, role: "admin").send(.GET, "/v1/sync/status").body
            let log = status["hub_log"] as? [String: Any] ?? [:]
            #expect((log["head"] as? Int ?? 0) > 0 && log["epoch"] as? String != nil, "\(status)")
            #expect(
                log["hub_node"] as? String == "hub-a" && (log["database"] as? String)?.contains("postgres://") == true)
        }
        // In the log itself: every op of each store once, seqs without a gap.
        let environment = ProcessInfo.processInfo.environment
        let name = String(database.split(separator: "/").last!.split(separator: "?").first!)
        let counts = try Self.psql(
            bin: environment["STOCKROOM_TEST_PG_BIN"]!,
            port: String(environment["STOCKROOM_TEST_POSTGRES"]!.split(separator: ":").last!), database: name,
            "SELECT origin, sum(op_count), min(first_seq), max(last_seq), count(DISTINCT first_seq) = count(*) FROM op_chunks WHERE origin LIKE 'store-%' GROUP BY origin ORDER BY origin"
        ).output.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        #expect(counts.count == 2, "\(counts)")
        for (index, row) in counts.enumerated() where row.count == 5 {
            #expect(Int(row[1]) == acknowledged[index] && row[2] == "1" && Int(row[3]) == acknowledged[index])
            #expect(row[4] == "t", "no batch stored twice")
        }
        try viaA.expectConsistent(seed: seed)
        try viaB.expectConsistent(seed: seed)
        for node in [hubA, hubB] + stores { node.kill(signal: SIGTERM) }
        for node in [hubA, hubB] + stores { _ = try await node.waitForExit() }
    }

    /// Sync-protocol 15.4: over PostgreSQL, the stable cut is the minimum of both hub
    /// processes' published cuts. A store compacts its log with it (K2), and a wiped store
    /// bootstraps from a snapshot that leaves out the scans its counts cover (K1).
    @Test func overPostgresAStoreCompactsAndAWipedStoreTakesASnapshot() async throws {
        guard let database = try Self.freshDatabase() else { return }
        let seed = SeededGenerator.testSeed()
        let (hubA, hubB) = (try NodeProcess(), try NodeProcess())
        let catalogue = try CrashRecoveryTests.catalogue(rows: 30)
        try #require(try hubA.run(["import", "catalog", catalogue, "--node", "hub-a"]).status == 0)
        let skus = try String(contentsOfFile: catalogue, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: ",")[0]) }
        let (portA, portB) = (try freePort(), try freePort())
        for (hub, node, port) in [(hubA, "hub-a", portA), (hubB, "hub-b", portB)] {
            try await hub.start(
                extraArguments: [
                    "--role", "hub", "--node", node, "--database", database, "--snapshot-history-days", "0",
                ], listen: "127.0.0.1:\(port)")
        }
        let token =
            try hubA.run(["token", "create", "--role", "peer", "--node", "store-1"]).output
            .split(separator: "\n").last.map(String.init) ?? ""
        let shared = Date().addingTimeInterval(15)
        while !(try hubB.run(["token", "list"]).output.contains("store-1")) {
            try #require(Date() < shared, "the peer token did not reach hub B")
            try await Task.sleep(for: .milliseconds(200))
        }
        let store = try NodeProcess()
        let arguments = [
            "--node", "store-1", "--hub", "http://127.0.0.1:\(portB),http://127.0.0.1:\(portA)", "--hub-token", token,
        ]
        try await store.start(extraArguments: arguments)
        let chain = SyncEndToEndTests.Chain(hub: hubA, stores: [store], hubPort: portA, skus: skus)
        #expect(try await chain.waitForAgreement(), "seed \(seed): the store never got the catalogue")
        #expect(try await chain.scan(at: 0, batches: 3, seed: seed, tag: "a") == 300)
        let counter = try chain.client(store, role: "scanner")
        for (index, sku) in skus.enumerated() {
            let counted = try await counter.send(
                .POST, "/v1/scans", json: #"{"id":"count-\#(index)","code":"\#(sku)","qty":3,"reason":"count"}"#)
            #expect(counted.status == 201, "\(counted)")
        }
        // K2: once both processes' published cuts hold the scans (every 5 s), a pull
        // brings a stable cut that lets the store delete them.
        // The scans reach the hub in pushes and the cuts move every 5 s, so one run may
        // delete some and a later one the rest: the runs' deletions are summed.
        let deadline = Date().addingTimeInterval(60)
        var compacted = ""
        var deleted = 0
        while Date() < deadline, deleted < 300 {
            _ = try? await chain.client(store, role: "admin").send(.POST, "/v1/sync")
            compacted = try store.run(["compact", "--history-days", "0", "--delay-days", "0"]).output
            deleted += Self.scansDeleted(in: compacted)
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(deleted == 300, "seed \(seed): \(compacted)")
        #expect(try await chain.waitForAgreement(nudge: true), "seed \(seed): disagree after compaction")

        // K1: the disk dies; the blank store's snapshot leaves the 300 scans at the hub.
        store.kill(signal: SIGKILL)
        _ = try await store.waitForExit()
        try StoreRecoveryTests.wipe(store.dataDirectory)
        try await store.start(extraArguments: arguments)
        #expect(store.log.contains("sync.history_left_at_hub=300"), "seed \(seed): \(store.log.suffix(1500))")
        #expect(try await chain.waitForAgreement(nudge: true), "seed \(seed): disagree after the snapshot")
        #expect(try await chain.scan(at: 0, batches: 1, seed: seed &+ 1, tag: "b") == 100)
        for hub in [chain, SyncEndToEndTests.Chain(hub: hubB, stores: [store], hubPort: portB, skus: skus)] {
            let held = try await StoreRecoveryTests.waitForHub(hub, count: 430)
            #expect(held == 430, "seed \(seed): a hub process holds \(held) of store-1's ops")
        }
        try chain.expectConsistent(seed: seed)
        for node in [store, hubA, hubB] {
            node.kill(signal: SIGTERM)
            _ = try await node.waitForExit()
        }
    }

    /// Dashboard users and sessions are shared by the hub processes: a user made with the
    /// CLI on process A signs in on process B, the session cookie B gave works on A, and
    /// disabling the user on B ends the session on A within seconds.
    @Test func aDashboardUserAndTheirSessionWorkOnEveryHubProcess() async throws {
        guard let database = try Self.freshDatabase() else { return }
        let (hubA, hubB) = (try NodeProcess(), try NodeProcess())
        let (portA, portB) = (try freePort(), try freePort())
        for (hub, node, port) in [(hubA, "hub-a", portA), (hubB, "hub-b", portB)] {
            try await hub.start(
                extraArguments: ["--role", "hub", "--node", node, "--database", database], listen: "127.0.0.1:\(port)")
        }
        let password = "correct-horse-battery"
        let made = try NodeProcess.runProgram(
            "/bin/sh",
            [
                "-c", #"printf '%s\n' "$1" | "$0" user create ada --role admin --password-stdin --data "$2""#,
                NodeProcess.binary, password, hubA.dataDirectory,
            ])
        try #require(made.status == 0, "\(made.output)")
        let http = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        do {
            try await Self.shareUsersAndSessions(hubA: hubA, hubB: hubB, ports: (portA, portB), http: http)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        for node in [hubA, hubB] {
            node.kill(signal: SIGTERM)
            _ = try await node.waitForExit()
        }
    }

    static func shareUsersAndSessions(
        hubA: NodeProcess, hubB: NodeProcess, ports: (a: Int, b: Int), http: HTTPClient
    ) async throws {
        let (portA, portB) = ports
        let password = "correct-horse-battery"
        var browser = WebBrowser(http: http, base: "http://127.0.0.1:\(portB)")
        let arrived = Date().addingTimeInterval(20)
        while try await browser.signIn("ada", password: password) != 303 {
            try #require(Date() < arrived, "the user made on hub A never reached hub B")
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(try await browser.send(.GET, "/").status == 200, "signed in on B")
        browser.base = "http://127.0.0.1:\(portA)"
        #expect(try await browser.send(.GET, "/").status == 200, "B's session cookie works on A")
        #expect(try hubB.run(["user", "disable", "ada"]).status != 0, "the last admin cannot be disabled")
        let second = try NodeProcess.runProgram(
            "/bin/sh",
            [
                "-c", #"printf '%s\n' "$1" | "$0" user create bea --role admin --password-stdin --data "$2""#,
                NodeProcess.binary, password, hubB.dataDirectory,
            ])
        try #require(second.status == 0, "\(second.output)")
        let disabled = Date().addingTimeInterval(20)
        while true {
            let attempt = try hubB.run(["user", "disable", "ada"])
            if attempt.status == 0 { break }
            try #require(Date() < disabled, "hub B never saw a second admin: \(attempt.output)")
            try await Task.sleep(for: .milliseconds(300))
        }
        let ended = Date().addingTimeInterval(20)
        while try await browser.send(.GET, "/").status == 200 {
            try #require(Date() < ended, "disabling ada on hub B did not end her session on hub A")
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(try await browser.signIn("ada", password: password) != 303, "a disabled user cannot sign in on A")
    }

    /// N in `stockroom compact`'s line `scans deleted:   N (...)`, or 0.
    static func scansDeleted(in output: String) -> Int {
        output.split(separator: "\n").first { $0.hasPrefix("scans deleted:") }
            .flatMap { $0.dropFirst("scans deleted:".count).split(separator: " ").first }
            .flatMap { Int($0) } ?? 0
    }
}

/// A browser's worth of state for the dashboard over real HTTP: cookies and the sign-in
/// form's CSRF token; redirects are not followed, so a sign-in's 303 is seen.
struct WebBrowser {
    let http: HTTPClient
    var base: String
    var cookies: [String: String] = [:]

    mutating func send(
        _ method: HTTPMethod, _ path: String, form: [String: String]? = nil
    ) async throws -> (
        status: Int, text: String
    ) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: "text/html")
        if !cookies.isEmpty {
            request.headers.add(
                name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "))
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Origin", value: base)
            request.body = .bytes(
                ByteBuffer(
                    string: form.map {
                        "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                    }.joined(separator: "&")))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        for cookie in response.headers["Set-Cookie"] {
            let pair = cookie.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map(String.init)
            guard pair.count == 2 else { continue }
            cookies[pair[0]] = pair[1].isEmpty || cookie.contains("Max-Age=0") ? nil : pair[1]
        }
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// Signs in through the form; returns the status (303 on success).
    mutating func signIn(_ name: String, password: String) async throws -> Int {
        let page = try await send(.GET, "/signin").text
        let marker = #"name="_csrf" value=""#
        let csrf = page.range(of: marker).map { String(page[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
        return try await send(.POST, "/signin", form: ["_csrf": csrf, "name": name, "password": password, "next": "/"])
            .status
    }
}
