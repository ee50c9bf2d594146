public import Logging
import NIOCore
public import PostgresNIO

/// Runs database work again when it failed for a reason that a second attempt can cure
/// (sync-protocol/README.md, section 14.4): a serialization failure (40001), a deadlock
/// (40P01), a server shutting down or starting (57P01, 57P03), or a connection lost or
/// refused (a failover). Backs off 10 ms doubling to 1 s, with jitter, up to 8 attempts.
///
/// Safe only for work that is whole inside its closure: a transaction, or a read.
public enum PostgresRetry {
    public static let attempts = 8

    /// `body` in a transaction (READ COMMITTED), committed when it returns.
    public static func transaction<T: Sendable>(
        _ hosts: PostgresHosts, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await run(hosts, logger: logger) { connection in
            do {
                return try await connection.withTransaction(logger: logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                // The closure's own error (a refusal) first; else what failed around it.
                throw error.closureError ?? error.commitError ?? error.beginError ?? error
            }
        }
    }

    /// `body` on a pooled connection of the host in use, outside a transaction. A
    /// transient failure moves to the next host (when there are several) for the retry.
    public static func run<T: Sendable>(
        _ hosts: PostgresHosts, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var delay = 0.01
        for attempt in 1... {
            let (index, client) = hosts.active
            do {
                return try await withDeadline(attemptDeadline) {
                    try await client.withConnection { try await body($0) }
                }
            } catch let error where attempt < attempts && isTransient(error) {
                hosts.failed(index, error: error)
                logger.debug("retrying a database transaction", metadata: ["error": "\(describe(error))"])
                try await Task.sleep(for: .seconds(delay * Double.random(in: 0.5...1.5)))
                delay = min(delay * 2, 1)
            }
        }
        fatalError("unreachable")
    }

    /// How long one attempt may take, waiting for a pooled connection included. A pool
    /// whose host died can keep a lease waiting without end (seen with a Patroni failover
    /// here): past this the attempt fails as ``AttemptTimedOut`` and moves to the next host.
    public static let attemptDeadline: Duration = .seconds(15)

    /// One attempt took longer than ``attemptDeadline``.
    public struct AttemptTimedOut: Error, CustomStringConvertible {
        public var description: String { "no answer from the database within \(PostgresRetry.attemptDeadline)" }
    }

    static func withDeadline<T: Sendable>(_ deadline: Duration, _ body: () async throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: T?.self) { group in
                nonisolated(unsafe) let work = body
                group.addTask { try await work() }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else { throw AttemptTimedOut() }
                return value
            }
        }
    }

    /// SQLSTATEs after which the same work may succeed.
    static let transientStates: Set<String> = ["40001", "40P01", "57P01", "57P02", "57P03", "25006"]

    public static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? ""
                return transientStates.contains(state) || state.hasPrefix("08")
            }
            return error.code != .queryCancelled && error.code != .unsupportedAuthMechanism
                && error.code != .authMechanismRequiresPassword && error.code != .saslError
        }
        // Connection refused, reset, timed out: NIO's errors, not PSQLError. Anything
        // else (a refusal, a decoding error, a cancellation) is final.
        return error is IOError || error is ChannelError || error is AttemptTimedOut
            || String(reflecting: type(of: error)).contains("NIOConnectionError")
    }

    /// A one-line reading of a database error: PSQLError's own description hides the
    /// server's message.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? "?"
                return "\(info[.message] ?? "server error") (SQLSTATE \(state))"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
