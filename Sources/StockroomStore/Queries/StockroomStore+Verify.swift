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
    /// Documents, the units they add to cells, unavailable units, rights and policies that
    /// differ from what the op log gives (section 10), described.
    public var stateMismatches: [String] = []
    /// Op rows that no valid op could have written (a wrong type, or an op that breaks
    /// ``OpRules``: written before validation existed, or by hand), by lsn with the reason.
    /// They are left out of the replay; `--repair` quarantines them.
    public var badOps: [(lsn: Int64, problem: String)] = []
    /// Item rows that cannot be read (a column of the wrong type).
    public var unreadableItems: [String] = []
    public var isHealthy: Bool {
        integrityProblems.isEmpty && stockMismatches.isEmpty && itemMismatches.isEmpty && badOps.isEmpty
            && unreadableItems.isEmpty && stateMismatches.isEmpty
    }
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
            let bad = try Self.badOps(db)
            let badLSNs = Set(bad.map(\.lsn))
            let rows = try Row.fetchCursor(db, sql: "SELECT \(OpRow.selectColumns) FROM ops ORDER BY lsn")
            while let row = try rows.next() {
                count += 1
                guard let lsn = row[0] as Int64?, !badLSNs.contains(lsn), let op = try? OpRow.decode(row).op else {
                    continue
                }
                reference.insert(op)
            }
            let expected = reference.snapshot()
            var unreadable: [String] = []
            let actual = try Self.snapshot(db, unreadableItems: &unreadable)
            let cells = Set(expected.stock.keys).union(actual.stock.keys).filter {
                expected.stock[$0, default: 0] != actual.stock[$0, default: 0]
            }
            let items = Set(expected.items.keys).union(actual.items.keys).filter {
                expected.items[$0] != actual.items[$0]
            }
            var states: [String] = []
            for key in Set(expected.documents.keys).union(actual.documents.keys).sorted()
            where expected.documents[key] != actual.documents[key] {
                states.append("document \(key)")
            }
            for cell in expected.documentCells.symmetricDifference(actual.documentCells) {
                states.append("\(cell.contribution.state.rawValue) of \(cell.document) at \(cell.contribution.key)")
            }
            for key in Set(expected.unavailable.keys).union(actual.unavailable.keys)
            where expected.unavailable[key] != actual.unavailable[key] {
                states.append("unavailable at \(key)")
            }
            for key in Set(expected.allowances.keys).union(actual.allowances.keys)
            where expected.allowances[key] != actual.allowances[key] {
                states.append("allowances at \(key)")
            }
            if expected.policies != actual.policies { states.append("allowance policies") }
            for key in Set(expected.suppliers.keys).union(actual.suppliers.keys)
            where expected.suppliers[key] != actual.suppliers[key] {
                states.append("supplier \(key)")
            }
            for key in Set(expected.settings.keys).union(actual.settings.keys)
            where expected.settings[key] != actual.settings[key] {
                states.append("setting \(key)")
            }
            for key in Set(expected.costs.keys).union(actual.costs.keys) where expected.costs[key] != actual.costs[key]
            {
                states.append("cost at \(key)")
            }
            return VerificationReport(
                integrityProblems: integrity, ops: count, stockMismatches: cells.sorted(),
                itemMismatches: items.subtracting(unreadable).sorted(), stateMismatches: states.sorted(), badOps: bad,
                unreadableItems: unreadable)
        }
    }

    /// Every op row that cannot be decoded or breaks ``OpRules`` (no location rule: a
    /// relayed op's origin is not known to be a hub here).
    static func badOps(_ db: Database) throws -> [(lsn: Int64, problem: String)] {
        var bad: [(lsn: Int64, problem: String)] = []
        let wall = systemWallMillis()
        let rows = try Row.fetchCursor(db, sql: "SELECT \(OpRow.selectColumns) FROM ops ORDER BY lsn")
        while let row = try rows.next() {
            let lsn = (row[0] as DatabaseValue).storage.int64 ?? -1
            do {
                let op = try OpRow.decode(row).op
                if let violation = OpRules.check(op, locations: nil, wallMillis: wall) {
                    bad.append((lsn, violation.description))
                }
            } catch {
                bad.append((lsn, "\(error)"))
            }
        }
        return bad
    }

    /// Every column of `ops`, named: the quarantine's columns come in another order.
    static let opColumns = OpRow.selectColumns + ", applied_at"

    /// Moves every bad op (``badOps(_:)``) to `quarantined_ops`, with its reason, and
    /// rebuilds the state from what remains, in one transaction. For `stockroom check
    /// --repair`, with the daemon stopped. Returns how many rows moved.
    ///
    /// The moved ops leave a gap in their origin's log, so this node's coverage of that
    /// origin stops before them and their peer is asked for them again; the peer's
    /// answer meets ``OpRules`` and is refused, and `/v1/sync/status` says so.
    public func quarantineBadOps() async throws -> Int {
        let moved = try await groupWriter.submit { db, _ -> Int in
            let bad = try Self.badOps(db)
            for (lsn, problem) in bad {
                try db.execute(
                    sql: """
                        INSERT INTO quarantined_ops (\(Self.opColumns), problem, quarantined_at)
                            SELECT \(Self.opColumns), ?, ? FROM ops WHERE lsn = ?;
                        DELETE FROM ops WHERE lsn = ?;
                        """, arguments: [problem, Int64(Self.systemWallMillis()), lsn, lsn])
            }
            return bad.count
        }
        if moved > 0 { try await rebuildMaterialisedState() }
        return moved
    }
}

extension DatabaseValue.Storage {
    fileprivate var int64: Int64? { if case .int64(let value) = self { value } else { nil } }
}
