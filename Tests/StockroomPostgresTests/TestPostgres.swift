import Foundation
import Logging
import PostgresNIO
import StockroomPostgres
import Testing

/// The PostgreSQL server the tests use: `STOCKROOM_TEST_POSTGRES`, a `postgres://USER@HOST:PORT`
/// URL without a database, set by `Tests/Postgres/with-postgres.sh`. With
/// `STOCKROOM_REQUIRE_POSTGRES=1` (as `make test` sets it) a missing server fails the test
/// instead of skipping it, so CI cannot pass without having run these.
enum TestPostgres {
    static let logger = Logger(label: "test-postgres")

    static var baseURL: String? { ProcessInfo.processInfo.environment["STOCKROOM_TEST_POSTGRES"] }

    /// A new empty database's URL, or nil (after recording an issue when required).
    static func freshDatabase() async throws -> String? {
        guard let base = baseURL else {
            if ProcessInfo.processInfo.environment["STOCKROOM_REQUIRE_POSTGRES"] == "1" {
                Issue.record(
                    "STOCKROOM_TEST_POSTGRES is not set: run the tests through Tests/Postgres/with-postgres.sh")
            } else {
                print("note: PostgreSQL tests skipped (no STOCKROOM_TEST_POSTGRES)")
            }
            return nil
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = PostgresClient(
            configuration: try PostgresURL(base + "/postgres?sslmode=disable").configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            group.cancelAll()
        }
        return base + "/\(name)?sslmode=disable"
    }

    /// Runs `body` with the hosts of `url`'s database.
    static func withClient<T: Sendable>(_ url: String, _ body: (PostgresHosts) async throws -> T) async throws -> T {
        let hosts = PostgresHosts(try PostgresURL(url), logger: logger)
        defer { hosts.close() }
        return try await body(hosts)
    }
}

extension TestPostgres {
    /// A loopback port nothing listens on (bound, then released).
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
