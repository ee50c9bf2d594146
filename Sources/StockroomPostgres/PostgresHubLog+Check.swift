import NIOCore
import PostgresNIO
public import StockroomCore

extension PostgresHubLog {
    /// What ``check()`` found.
    public struct CheckReport: Sendable {
        public var chunks = 0
        public var ops = 0
        public var origins = 0
        public var head: UInt64 = 0
        /// Each problem in a sentence; empty when the log is sound.
        public var problems: [String] = []
        public var isHealthy: Bool { problems.isEmpty }
    }

    /// Reads the whole log and checks what sections 14.2 and 14.3 promise: each origin's
    /// ops stored once, from seq 1 without a gap, its progress row equal to its last seq;
    /// every position at or below the head; every stored batch decodable, holding exactly
    /// the ops its row names. Reads in pages of 500 rows: memory stays bounded. Changes
    /// nothing.
    public func check() async throws -> CheckReport {
        var report = CheckReport()
        report.head = try await head()
        var progress = try await PostgresRetry.run(hosts, logger: logger) { connection in
            var progress: [String: Int64] = [:]
            for try await (origin, high) in try await connection.query(
                "SELECT origin, high_seq FROM origin_progress", logger: self.logger
            ).decode((String, Int64).self) { progress[origin] = high }
            return progress
        }
        var after = ("", Int64(0))
        var currentOrigin: String?
        var expected: Int64 = 1
        func closeOrigin(_ origin: String, last: Int64, into report: inout CheckReport) {
            report.origins += 1
            if progress[origin] != last {
                report.problems.append(
                    "origin '\(origin)': progress row says \(progress[origin].map(String.init) ?? "nothing"), the log ends at seq \(last)"
                )
            }
            progress[origin] = nil
        }
        while true {
            let (origin0, seq0) = after
            let rows = try await PostgresRetry.run(hosts, logger: logger) { connection in
                var rows: [(Int64, String, Int64, Int64, Int32, ByteBuffer)] = []
                for try await row in try await connection.query(
                    """
                    SELECT position, origin, first_seq, last_seq, op_count, body FROM op_chunks
                    WHERE (origin, first_seq) > (\(origin0), \(seq0)) ORDER BY origin, first_seq LIMIT 500
                    """, logger: self.logger
                ).decode((Int64, String, Int64, Int64, Int32, ByteBuffer).self) { rows.append(row) }
                return rows
            }
            if rows.isEmpty { break }
            for (position, origin, first, last, count, body) in rows {
                if origin != currentOrigin {
                    if let currentOrigin { closeOrigin(currentOrigin, last: expected - 1, into: &report) }
                    currentOrigin = origin
                    expected = 1
                }
                report.chunks += 1
                report.ops += Int(count)
                let place = "origin '\(origin)' seqs \(first)-\(last) (position \(position))"
                if first != expected {
                    report.problems.append(
                        first < expected ? "\(place): stored twice" : "\(place): seqs \(expected)-\(first - 1) missing")
                }
                if position > Int64(report.head) {
                    report.problems.append("\(place): position beyond the log head \(report.head)")
                }
                do {
                    let batch = try BatchCodec.decode(Array(body.readableBytesView))
                    let ids = batch.ops.map(\.id)
                    let named = (first...max(first, last)).map { OpID(origin: NodeID(origin)!, seq: UInt64($0)) }
                    if Int(count) != batch.ops.count || NodeID(origin) == nil || ids != named {
                        report.problems.append("\(place): holds other ops than its row names")
                    }
                } catch {
                    report.problems.append("\(place): cannot be decoded: \(error)")
                }
                expected = max(expected, last + 1)
                after = (origin, first)
            }
        }
        if let currentOrigin { closeOrigin(currentOrigin, last: expected - 1, into: &report) }
        for (origin, high) in progress.sorted(by: { $0.key < $1.key }) where high > 0 {
            report.problems.append("origin '\(origin)': progress row says \(high), the log holds none of its ops")
        }
        return report
    }

    /// Gives the log a new epoch: every puller starts again from position 0, and op ids
    /// keep that safe. Run after restoring the database from a backup (before any hub
    /// process starts on it): positions handed out after the backup was taken would
    /// otherwise be handed out again, behind the stores' cursors. Returns the new epoch.
    public func renewEpoch() async throws -> String {
        let epoch = Self.newEpoch()
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            try await connection.query(
                "UPDATE hub_meta SET value = \(epoch) WHERE key = 'epoch'", logger: self.logger)
        }
        return epoch
    }
}
