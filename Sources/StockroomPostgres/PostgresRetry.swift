public import Logging
import NIOCore
public import PostgresNIO
import Synchronization

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
        _ hosts: PostgresHosts, logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
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
        _ hosts: PostgresHosts, logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
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

    /// `body`'s result, or ``AttemptTimedOut`` after `deadline`, whichever comes first. On
    /// the deadline the attempt is cancelled and *abandoned*: a task group would wait for it
    /// to end, and a connection lease stuck on a dead host does not heed cancellation (a
    /// replica loop hung that way after a Patroni failover). The abandoned task ends when
    /// its connection does; its transaction never commits, since it never returns.
    static func withDeadline<T: Sendable>(
        _ deadline: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = DeadlineRace<T>()
        defer { race.cancelTasks() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.waiting.withLock { $0 = continuation }
                guard !Task.isCancelled else { return race.finish(.failure(CancellationError())) }
                let attempt = Task {
                    do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
                }
                let timer = Task {
                    guard (try? await Task.sleep(for: deadline)) != nil else { return }
                    attempt.cancel()
                    race.finish(.failure(AttemptTimedOut()))
                }
                race.tasks.withLock { $0 = [attempt, timer] }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The one continuation an attempt and its timer race to resume.
    final class DeadlineRace<T: Sendable>: Sendable {
        let waiting = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let tasks = Mutex<[Task<Void, Never>]>([])

        /// Resumes the caller with the first result; later ones are dropped.
        func finish(_ result: Result<T, any Error>) {
            waiting.withLock { continuation in
                defer { continuation = nil }
                return continuation
            }?.resume(with: result)
        }

        func cancelTasks() { tasks.withLock { $0.forEach { $0.cancel() } } }
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
