import GRDB
import Testing

@testable import StockroomStore

/// HotStatement bypasses GRDB's argument and row types on the writer's hot path; these
/// check that what it binds and reads round-trips, and that its errors are GRDB's, with
/// SQLite's codes, so the writer's error translation (disk full -> 503) still applies.
@Suite struct HotStatementTests {
    private func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, s TEXT)")
        }
        return queue
    }

    @Test func bindsAndReadsTextIntegersAndNulls() throws {
        try database().write { db in
            let insert = try HotStatement(db, "INSERT INTO t (k, n, s) VALUES (?, ?, ?)")
            for (key, number, text) in [("a", Int64.min, "é—ü ✓"), ("b", Int64.max, nil), ("c", nil, "")]
                as [(String, Int64?, String?)]
            {
                insert.bind(1, key)
                insert.bind(2, number)
                insert.bind(3, text)
                try insert.execute()
            }
            let select = try HotStatement(db, "SELECT n, s FROM t WHERE k = ?")
            for (key, number, text) in [("a", Int64.min, "é—ü ✓"), ("b", Int64.max, nil), ("c", nil, "")]
                as [(String, Int64?, String?)]
            {
                select.bind(1, key)
                let row = try select.fetchFirst { ($0.optionalInt64(0), $0.optionalText(1)) }
                #expect(row?.0 == number && row?.1 == text, "row \(key)")
            }
            select.bind(1, "missing")
            #expect(try select.fetchFirst { $0.int64(0) } == nil)
            // Reset with bindings cleared: GRDB's own use of the cached statement still works.
            #expect(
                try Int64.fetchOne(db.cachedStatement(sql: "SELECT n FROM t WHERE k = ?"), arguments: ["b"]) == .max)
        }
    }

    @Test func aConstraintViolationIsADatabaseErrorAndTheStatementStaysUsable() throws {
        try database().write { db in
            let insert = try HotStatement(db, "INSERT INTO t (k) VALUES (?)")
            insert.bind(1, "a")
            try insert.execute()
            insert.bind(1, "a")
            #expect {
                try insert.execute()
            } throws: { error in
                let error = error as? DatabaseError
                return error?.resultCode == .SQLITE_CONSTRAINT
                    && error?.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
                    && error?.sql?.contains("INSERT INTO t") == true
            }
            insert.bind(1, "b")
            try insert.execute()
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 2)
        }
    }
}
