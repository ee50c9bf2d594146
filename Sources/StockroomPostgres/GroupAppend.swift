import Logging
import NIOCore
import PostgresNIO
import StockroomCore

/// Group commit for appends (sync-protocol section 14.3): the pushes that reach one hub
/// process while its previous append transaction commits are appended together, in one
/// transaction, so a chain of small pushes is not bound by one commit per push.
///
/// Within a transaction each push keeps its own answer: a push refused (a gap, a foreign
/// op) is refused alone, and the others are stored. Origins' progress rows are locked in
/// origin order, so two processes' group transactions cannot deadlock on them (and a
/// deadlock would be retried, 40P01, like any transaction).
actor GroupAppend {
    struct Request {
        var ops: [Op]
        var origin: NodeID
        var continuation: CheckedContinuation<HubLogAppend, any Error>
    }

    private let hosts: PostgresHosts
    private let logger: Logger
    private var pending: [Request] = []
    private var flushing = false
    /// The most pushes one transaction takes (a bound on its size and lock set).
    static let maxPushesPerTransaction = 256

    init(hosts: PostgresHosts, logger: Logger) {
        self.hosts = hosts
        self.logger = logger
    }

    func append(_ ops: [Op], from origin: NodeID) async throws -> HubLogAppend {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Request(ops: ops, origin: origin, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await self.flushAll() }
            }
        }
    }

    private func flushAll() async {
        while !pending.isEmpty {
            let group = Array(pending.prefix(Self.maxPushesPerTransaction))
            pending.removeFirst(group.count)
            do {
                let results = try await Self.write(group.map { ($0.ops, $0.origin) }, hosts: hosts, logger: logger)
                for (request, result) in zip(group, results) { request.continuation.resume(with: result) }
            } catch {
                for request in group { request.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }

    /// One transaction for `pushes`, retried whole. Returns each push's outcome, in order.
    static func write(
        _ pushes: [([Op], NodeID)], hosts: PostgresHosts, logger: Logger
    ) async throws
        -> [Result<HubLogAppend, any Error>]
    {
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            let origins = Array(Set(pushes.map(\.1.rawValue))).sorted()
            try await connection.query(
                """
                INSERT INTO origin_progress (origin, high_seq) SELECT unnest(\(origins)::text[]), 0
                ON CONFLICT (origin) DO NOTHING
                """, logger: logger)
            // The row locks serialise each origin's pushes across every process (14.2).
            var high: [String: UInt64] = [:]
            for try await (origin, seq) in try await connection.query(
                "SELECT origin, high_seq FROM origin_progress WHERE origin = ANY(\(origins)::text[]) ORDER BY origin FOR UPDATE",
                logger: logger
            ).decode((String, Int64).self) { high[origin] = UInt64(max(0, seq)) }

            var results: [Result<HubLogAppend, any Error>] = []
            var chunks: [(origin: NodeID, fresh: [Op])] = []
            for (ops, origin) in pushes {
                let before = high[origin.rawValue] ?? 0
                do {
                    let fresh = try HubLogRefusal.freshOps(ops, from: origin, highSeq: before)
                    if let last = fresh.last {
                        chunks.append((origin, fresh))
                        high[origin.rawValue] = last.id.seq
                    }
                    results.append(
                        .success(
                            HubLogAppend(
                                appended: fresh.count, duplicates: ops.count - fresh.count,
                                highSeq: high[origin.rawValue] ?? before)))
                } catch {
                    results.append(.failure(error))
                }
            }
            guard !chunks.isEmpty else { return results }
            // The positions, from the one log_head row, held until COMMIT: handed out in
            // commit order (14.3).
            var head: Int64 = 0
            for try await value in try await connection.query(
                "UPDATE log_head SET position = position + \(Int64(chunks.count)) WHERE id = 1 RETURNING position",
                logger: logger
            ).decode(Int64.self) { head = value }
            var position = head - Int64(chunks.count)
            for (origin, fresh) in chunks {
                position += 1
                let body = BatchCodec.encode(
                    SyncBatch(node: origin, epoch: "", cursor: 0, more: false, coverage: VersionVector(), ops: fresh))
                try await connection.query(
                    """
                    INSERT INTO op_chunks (position, origin, first_seq, last_seq, op_count, body, stores)
                    VALUES (\(position), \(origin.rawValue), \(Int64(fresh[0].id.seq)), \(Int64(fresh.last!.id.seq)),
                            \(Int32(fresh.count)), \(ByteBuffer(bytes: body)), \(PostgresHubLog.concernedStores(fresh)))
                    """, logger: logger)
            }
            let updated = Set(chunks.map(\.origin.rawValue)).sorted()
            try await connection.query(
                """
                UPDATE origin_progress SET high_seq = new.high
                FROM unnest(\(updated)::text[], \(updated.map { Int64(high[$0]!) })::bigint[]) AS new(origin, high)
                WHERE origin_progress.origin = new.origin
                """, logger: logger)
            return results
        }
    }
}
