import GRDB
public import StockroomCore

/// What `stockroom check` found.
public struct VerificationReport: Sendable {
    /// SQLite's `PRAGMA integrity_check` lines other than "ok": page-level damage.
    public var integrityProblems: [String]
    public var ops: Int
    /// Cells whose quantity differs from what the op log gives, and items whose fields do.
    public var stockMismatches: [StockKey]
    public var itemMismatches: [String]
    public var isHealthy: Bool { integrityProblems.isEmpty && stockMismatches.isEmpty && itemMismatches.isEmpty }
}

extension StockroomStore {
    /// Checks the file with SQLite's `integrity_check` and the materialised state against
    /// the merge rules applied to the whole op log (``ReferenceReplica``), in one read
    /// snapshot. Read-only; safe while the daemon runs. Holds the whole log in memory, so
    /// it is an operator's command, not something run on every start.
    public func verify() async throws -> VerificationReport {
        try await read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            var reference = ReferenceReplica()
            var count = 0
            let rows = try Row.fetchCursor(db, sql: "SELECT \(OpRow.selectColumns) FROM ops ORDER BY lsn")
            while let row = try rows.next() {
                reference.insert(try OpRow.decode(row).op)
                count += 1
            }
            let expected = reference.snapshot()
            let actual = try Self.snapshot(db)
            let cells = Set(expected.stock.keys).union(actual.stock.keys).filter {
                expected.stock[$0, default: 0] != actual.stock[$0, default: 0]
            }
            let items = Set(expected.items.keys).union(actual.items.keys).filter {
                expected.items[$0] != actual.items[$0]
            }
            return VerificationReport(
                integrityProblems: integrity, ops: count, stockMismatches: cells.sorted(),
                itemMismatches: items.sorted())
        }
    }
}
