public import Logging
import NIOCore
public import PostgresNIO
public import StockroomCore
import Synchronization

/// The hub's op log on PostgreSQL (sync-protocol/README.md, section 14): the log of truth
/// that every hub process of a chain shares.
///
/// - Pushes of one origin are serialised by that origin's `origin_progress` row
///   (`FOR UPDATE`), so a batch that two processes receive at once is stored once (H1).
/// - Positions are taken from the single `log_head` row as the last step of each append,
///   so they grow in commit order and a pull never skips an op that commits late (H2).
/// - Every transaction is retried whole on SQLSTATE 40001 or 40P01 and on a lost
///   connection (H4). A retried append that had in fact committed meets its own
///   `origin_progress` row and becomes duplicates.
///
/// Ops are stored as they were pushed, a batch per row in the wire encoding
/// (``BatchCodec``): one row per push rather than one per op, which is what lets a single
/// writer keep up with the COPY floor. The log merges nothing; see ``HubLog``.
public final class PostgresHubLog: HubLog {
    public let hosts: PostgresHosts
    /// Concurrent pushes share one transaction (group commit).
    private let group: GroupAppend
    public let database: PostgresURL
    let logger: Logger
    let cachedIdentity: HubLogIdentity
    /// The processes' cuts as last read for a pull (section 15.4), kept for a second: a
    /// cut read earlier is still one read before the page, and a chain's pulls then cost
    /// the database one query a second, not one each.
    let recentCuts = Mutex<(readAt: ContinuousClock.Instant, cuts: [(node: String, cut: VersionVector)])?>(nil)

    /// The most ops one pull decodes, whatever it keeps (as ``maxScannedPerPull`` for SQLite).
    public static let maxScannedPerPull = 100_000

    /// Connects, runs the migrations (safely when several processes start at once) and
    /// reads or creates the log's identity (`proposedNode` and a new epoch, the first time).
    ///
    /// While the database cannot be reached it retries every 2 s, logging what it waits
    /// for, until `waitLimit` has passed (forever when nil); then it throws the last error.
    /// Throws ``PostgresSchemaError/newer(found:known:)`` without changing anything when
    /// the database was migrated by a newer binary.
    ///
    /// With `proposedNode` nil (the tools that only read or repair a log), a database that
    /// holds no hub log yet is refused with ``PostgresSchemaError/noLog`` and not changed.
    public static func open(
        _ database: PostgresURL, proposedNode: NodeID?, logger: Logger, waitLimit: Duration? = nil
    ) async throws -> PostgresHubLog {
        let hosts = PostgresHosts(database, logger: logger)
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            do {
                // One plain connection first: the pool retries a refused connection by
                // itself for a minute and then reports only a tripped circuit breaker.
                let index = hosts.active.index
                do {
                    let probe = try await PostgresConnection.connect(
                        configuration: database.connectionConfigurations[index], id: 0, logger: logger)
                    try await probe.close()
                } catch {
                    hosts.failed(index, error: error)
                    throw error
                }
                if proposedNode == nil, try await PostgresMigrations.status(on: hosts, logger: logger).applied.isEmpty {
                    throw PostgresSchemaError.noLog
                }
                try await PostgresMigrations.run(on: hosts, logger: logger)
                let identity = try await Self.identity(hosts: hosts, proposedNode: proposedNode, logger: logger)
                return PostgresHubLog(hosts: hosts, database: database, logger: logger, identity: identity)
            } catch let error where PostgresRetry.isTransient(error) {
                if let waitLimit, ContinuousClock.now - started >= waitLimit {
                    hosts.close()
                    throw PostgresUnavailable(database: database.redacted, reason: PostgresRetry.describe(error))
                }
                logger.warning(
                    "waiting for PostgreSQL",
                    metadata: [
                        "database": "\(database.redacted)", "attempt": "\(attempt)",
                        "error": "\(PostgresRetry.describe(error))",
                    ])
                try await Task.sleep(for: .seconds(2))
            } catch let error as PSQLError {
                hosts.close()
                throw PostgresFailure(what: "starting on \(database.redacted)", error: error)
            } catch {
                hosts.close()
                throw error
            }
        }
    }

    private init(hosts: PostgresHosts, database: PostgresURL, logger: Logger, identity: HubLogIdentity) {
        self.hosts = hosts
        self.group = GroupAppend(hosts: hosts, logger: logger)
        self.database = database
        self.logger = logger
        self.cachedIdentity = identity
    }

    /// Closes the connection pools.
    public func close() { hosts.close() }

    public func identity() async throws -> HubLogIdentity { cachedIdentity }

    /// A fresh random epoch.
    static func newEpoch() -> String {
        "pg-" + (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 36) }.joined()
    }

    private static func identity(
        hosts: PostgresHosts, proposedNode: NodeID?, logger: Logger
    ) async throws
        -> HubLogIdentity
    {
        let epoch = newEpoch()
        return try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            if let proposedNode {
                try await connection.query(
                    """
                    INSERT INTO hub_meta (key, value) VALUES ('hub_node', \(proposedNode.rawValue)), ('epoch', \(epoch))
                    ON CONFLICT (key) DO NOTHING
                    """, logger: logger)
            }
            var node: String?
            var stored: String?
            for try await (key, value) in try await connection.query(
                "SELECT key, value FROM hub_meta WHERE key IN ('hub_node', 'epoch')", logger: logger
            ).decode((String, String).self) {
                if key == "hub_node" { node = value } else { stored = value }
            }
            guard let node, let id = NodeID(node), let stored else {
                if proposedNode == nil { throw PostgresSchemaError.noLog }
                throw PostgresSchemaError.corrupt("hub_meta lacks the hub node or the epoch")
            }
            return HubLogIdentity(node: id, epoch: stored)
        }
    }

    public func appendPushed(_ ops: [Op], from origin: NodeID) async throws -> HubLogAppend {
        if let foreign = ops.first(where: { $0.id.origin != origin }) {
            throw HubLogRefusal.foreignOrigin(op: foreign.id.description, origin: origin.rawValue)
        }
        guard !ops.isEmpty else {
            return HubLogAppend(appended: 0, duplicates: 0, highSeq: try await highSeq(of: origin))
        }
        return try await group.append(ops, from: origin)
    }

    /// The stores a batch of ops concerns, nil when one op concerns every store.
    static func concernedStores(_ ops: [Op]) -> [String]? {
        var nodes: Set<String> = []
        for op in ops {
            guard let concerned = SyncInterest.concernedNodes(of: op) else { return nil }
            nodes.formUnion(concerned)
        }
        return nodes.sorted()
    }

    public func pull(
        epoch: String, cursor: UInt64, interest: SyncInterest, limit: Int, protocolVersion: Int,
        omitting: (@Sendable (Op) -> Bool)?
    )
        async throws -> SyncBatch
    {
        let identity = cachedIdentity
        var position = epoch == identity.epoch ? Int64(exactly: cursor) ?? 0 : 0
        var filter = PullFilter(interest: interest, protocolVersion: protocolVersion, omitting: omitting)
        var scanned = 0
        var more = false
        scan: while true {
            // Read-only and one statement at a time: nothing to retry but the read itself.
            // Every row's origin and last seq (the coverage an edge is told), but the
            // body only of rows that concern the puller.
            let from = position
            let rows = try await PostgresRetry.run(hosts, logger: logger) { connection in
                var rows: [(Int64, String, Int64, Int32, ByteBuffer?)] = []
                let query: PostgresQuery
                switch interest {
                case .edge(let node):
                    query = """
                        SELECT position, origin, last_seq, op_count,
                               CASE WHEN stores IS NULL OR \(node.rawValue) = ANY(stores) THEN body END
                        FROM op_chunks WHERE position > \(from) ORDER BY position LIMIT 256
                        """
                case .origin(let origin):
                    query = """
                        SELECT position, origin, last_seq, op_count, CASE WHEN origin = \(origin.rawValue) THEN body END
                        FROM op_chunks WHERE position > \(from) ORDER BY position LIMIT 256
                        """
                case .everything:
                    query = """
                        SELECT position, origin, last_seq, op_count, body
                        FROM op_chunks WHERE position > \(from) ORDER BY position LIMIT 256
                        """
                }
                for try await row in try await connection.query(query, logger: self.logger).decode(
                    (Int64, String, Int64, Int32, ByteBuffer?).self)
                { rows.append(row) }
                return rows
            }
            if rows.isEmpty { break }
            for (chunkPosition, origin, lastSeq, count, body) in rows {
                // A chunk is sent whole or not at all: the cursor names chunks.
                let taken = body == nil ? 0 : Int(count)
                let full = filter.ops.count + taken > limit || scanned + Int(count) > Self.maxScannedPerPull
                if full && (filter.ops.count > 0 || scanned > 0) {
                    more = true
                    break scan
                }
                if let body {
                    let chunk: SyncBatch
                    do {
                        chunk = try BatchCodec.decode(Array(body.readableBytesView))
                    } catch {
                        throw PostgresSchemaError.corrupt("op chunk at position \(chunkPosition): \(error)")
                    }
                    for op in chunk.ops { filter.scan(op) }
                } else if let node = NodeID(origin) {
                    // None of its ops concern the puller: only the coverage they give.
                    filter.cover(node, upTo: UInt64(max(0, lastSeq)))
                }
                scanned += Int(count)
                position = chunkPosition
            }
        }
        return SyncBatch(
            node: identity.node, epoch: identity.epoch, cursor: UInt64(position), more: more,
            coverage: filter.coverage, ops: filter.ops)
    }

    public func head() async throws -> UInt64 {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var head: Int64 = 0
            for try await value in try await connection.query(
                "SELECT position FROM log_head WHERE id = 1", logger: self.logger
            ).decode(Int64.self) { head = value }
            return UInt64(max(0, head))
        }
    }

    public func highSeq(of origin: NodeID) async throws -> UInt64 {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var high: Int64 = 0
            for try await value in try await connection.query(
                "SELECT high_seq FROM origin_progress WHERE origin = \(origin.rawValue)", logger: self.logger
            ).decode(Int64.self) { high = value }
            return UInt64(max(0, high))
        }
    }

    /// Every origin's high seq: the coverage the log stands for.
    public func coverage() async throws -> VersionVector {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var coverage = VersionVector()
            for try await (origin, high) in try await connection.query(
                "SELECT origin, high_seq FROM origin_progress", logger: self.logger
            ).decode((String, Int64).self) {
                if let id = NodeID(origin) { coverage[id] = UInt64(max(0, high)) }
            }
            return coverage
        }
    }
}

/// The database cannot be reached, after waiting as long as allowed.
public struct PostgresUnavailable: Error, CustomStringConvertible {
    public var database: String
    public var reason: String
    public var description: String {
        "PostgreSQL at \(database) cannot be reached: \(reason); check that it runs, the URL, and the credentials"
    }
}

/// A database error that is not worth retrying, with the server's message (PSQLError's own
/// description hides it).
public struct PostgresFailure: Error, CustomStringConvertible {
    public var what: String
    public var reason: String
    public var sqlState: String?

    public init(what: String, error: PSQLError) {
        self.what = what
        self.reason = PostgresRetry.describe(error)
        self.sqlState = error.serverInfo?[.sqlState]
    }

    public var description: String { "PostgreSQL failed \(what): \(reason)" }
}
