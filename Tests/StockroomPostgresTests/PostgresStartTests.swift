import Foundation
import PostgresNIO
import StockroomCore
import StockroomPostgres
import Testing

/// How hub processes meet their database at start (issue #16): several at once, a schema
/// from a newer binary, a database that is not there, a URL that is wrong.
@Suite struct PostgresStartTests {
    static let hub = NodeID("hub")!

    /// Four processes starting together migrate once and agree on one identity.
    @Test func processesStartingTogetherMigrateOnceAndShareOneIdentity() async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        let logs = try await withThrowingTaskGroup(of: PostgresHubLog.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await PostgresHubLog.open(
                        PostgresURL(url), proposedNode: NodeID("hub-\(index)")!, logger: TestPostgres.logger,
                        waitLimit: .seconds(10))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let identities = Set(try await logs.asyncMap { try await $0.identity() })
        #expect(identities.count == 1, "\(identities)")
        let versions = try await TestPostgres.withClient(url) { client in
            try await PostgresMigrations.status(on: client, logger: TestPostgres.logger)
        }
        #expect(versions.applied == Array(1...PostgresMigrations.known) && versions.pending.isEmpty)
        for log in logs { log.close() }
    }

    @Test func aSchemaFromANewerBinaryIsRefusedWithBothVersions() async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        let first = try await PostgresHubLog.open(PostgresURL(url), proposedNode: Self.hub, logger: TestPostgres.logger)
        first.close()
        try await TestPostgres.withClient(url) { client in
            try await client.active.client.query(
                "INSERT INTO stockroom_schema (version) VALUES (99)", logger: TestPostgres.logger)
        }
        await #expect(throws: PostgresSchemaError.newer(found: 99, known: PostgresMigrations.known)) {
            _ = try await PostgresHubLog.open(PostgresURL(url), proposedNode: Self.hub, logger: TestPostgres.logger)
        }
    }

    @Test func aDatabaseThatIsNotThereIsWaitedForThenReported() async throws {
        guard TestPostgres.baseURL != nil else { return }
        let port = try TestPostgres.unusedPort()
        let started = ContinuousClock.now
        do {
            _ = try await PostgresHubLog.open(
                PostgresURL("postgres://stockroom@127.0.0.1:\(port)/none?sslmode=disable"), proposedNode: Self.hub,
                logger: TestPostgres.logger, waitLimit: .seconds(3))
            Issue.record("opened a database that does not exist")
        } catch let error as PostgresUnavailable {
            #expect(error.description.contains("127.0.0.1:\(port)"))
            #expect(ContinuousClock.now - started >= .seconds(3), "it waited before giving up")
        }
    }

    @Test(arguments: [
        ("mysql://u@h/d", "not a postgres:// URL"), ("postgres://h/d", "names no user"),
        ("postgres://u@h", "names no database"), ("postgres://u@h/d?sslmode=maybe", "sslmode 'maybe'"),
    ])
    func aWrongURLIsRefusedWithWhatIsWrong(_ url: String, _ message: String) {
        #expect {
            _ = try PostgresURL(url)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func aHostListIsReadInOrderAndItsPasswordHidden() throws {
        let url = try PostgresURL("postgres://hub:pw@db1:5433,db2,10.0.0.3:6432/stockroom?sslmode=disable")
        #expect(url.hostNames == ["db1:5433", "db2:5432", "10.0.0.3:6432"])
        #expect(url.redacted == "postgres://hub:***@db1:5433,db2,10.0.0.3:6432/stockroom?sslmode=disable")
        #expect(throws: PostgresURLError.self) { try PostgresURL("postgres://hub@db1,:5/stockroom") }
    }

    /// The first host listed is down (a failed primary): the log opens on the next one and
    /// takes appends there.
    @Test func aDeadHostInTheListIsPassedOver() async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        let dead = try TestPostgres.unusedPort()
        let listed = url.replacingOccurrences(of: "@127.0.0.1:", with: "@127.0.0.1:\(dead),127.0.0.1:")
        let log = try await PostgresHubLog.open(
            PostgresURL(listed), proposedNode: Self.hub, logger: TestPostgres.logger, waitLimit: .seconds(20))
        defer { log.close() }
        let ops = HubLogConformanceTests.sales(NodeID("store-1")!, 1...3)
        #expect(try await log.appendPushed(ops, from: NodeID("store-1")!).appended == 3)
        #expect(log.hosts.active.index == 1)
    }

    @Test func passwordsNeverReachMessages() throws {
        let url = try PostgresURL("postgres://hub:s3cret@db.example:5433/stockroom")
        #expect(!url.redacted.contains("s3cret") && url.redacted.contains("db.example:5433"))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
