import GRDB
import GRDBSQLite

/// A GRDB-cached statement bound, stepped and read through SQLite's C API.
///
/// The writer runs a handful of statements once per op. There, GRDB's
/// `StatementArguments` (an array of existential values per call) and `Row` (an object per
/// fetch) cost more than SQLite's own work: binding directly took the store's apply rate
/// from ~42k to ~59k ops/s in process (README "Benchmarks"). Everything off that path stays on GRDB.
///
/// Errors are thrown as GRDB's `DatabaseError` with SQLite's extended code, so callers and
/// the writer's error translation see no difference. Every call leaves the statement reset
/// with its bindings cleared, so GRDB can reuse the cached statement afterwards.
struct HotStatement {
    private let statement: Statement
    private let handle: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    /// SQLite copies the bytes before the call returns (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Self.transient)
            }
        }
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ number: Int64) { sqlite3_bind_int64(handle, index, number) }

    func bind(_ index: Int32, _ number: Int64?) {
        if let number { sqlite3_bind_int64(handle, index, number) } else { sqlite3_bind_null(handle, index) }
    }

    /// Runs the statement to completion.
    func execute() throws {
        defer { finish() }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// The first row read by `read`, or nil when there is none.
    func fetchFirst<T>(_ read: (HotRow) throws -> T) throws -> T? {
        defer { finish() }
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return try read(HotRow(handle: handle))
        case SQLITE_DONE: return nil
        default: throw failure(code)
        }
    }

    /// Steps through every row.
    func forEach(_ read: (HotRow) throws -> Void) throws {
        defer { finish() }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW {
            try read(HotRow(handle: handle))
            code = sqlite3_step(handle)
        }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    private func finish() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let connection = sqlite3_db_handle(handle)
        return DatabaseError(
            resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
            message: String(cString: sqlite3_errmsg(connection)), sql: statement.sql)
    }
}

/// The current row of a ``HotStatement``; valid only inside `fetchFirst`'s closure.
struct HotRow {
    fileprivate let handle: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}
