public import Logging
public import PostgresNIO
import Synchronization

/// The database's hosts, one connection pool each, and the one in use. A URL may name
/// several (`postgres://u@db1:5432,db2:5432,db3:5432/stockroom`, the members of a Patroni
/// cluster): work goes to one at a time, and ``PostgresRetry`` moves it to the next when
/// that one cannot be reached or is a read-only standby (25006). The new primary is found
/// by trying, as libpq's `target_session_attrs=read-write` does.
public final class PostgresHosts: Sendable {
    public let clients: [PostgresClient]
    private let runners: [Task<Void, Never>]
    private let current = Atomic<Int>(0)
    private let logger: Logger
    private let lastLogged = Mutex<ContinuousClock.Instant?>(nil)
    let names: [String]

    public init(_ url: PostgresURL, logger: Logger) {
        clients = url.configurations.map { PostgresClient(configuration: $0, backgroundLogger: logger) }
        runners = clients.map { client in Task { await client.run() } }
        names = url.hostNames
        self.logger = logger
    }

    /// The pool in use, and its index.
    public var active: (index: Int, client: PostgresClient) {
        let index = current.load(ordering: .relaxed) % clients.count
        return (index, clients[index])
    }

    /// `host:port` of the host in use.
    public var activeName: String { names[active.index] }

    /// Moves on from host `index` (once, however many tasks saw it fail).
    func failed(_ index: Int, error: any Error) {
        guard clients.count > 1 else { return }
        let (exchanged, _) = current.compareExchange(
            expected: index, desired: (index + 1) % clients.count, ordering: .relaxed)
        // Once per host change; while every host refuses (no primary during a failover)
        // the rotations are logged at most every 5 s.
        let now = ContinuousClock.now
        let due = lastLogged.withLock { last -> Bool in
            if let previous = last, now - previous < .seconds(5) { return false }
            last = now
            return true
        }
        if exchanged && due {
            logger.warning(
                "PostgreSQL host failed; trying the next",
                metadata: [
                    "failed": "\(names[index])", "next": "\(names[(index + 1) % clients.count])",
                    "error": "\(PostgresRetry.describe(error))",
                ])
        }
    }

    /// Stops every pool.
    public func close() { for runner in runners { runner.cancel() } }

    deinit { close() }
}
