import GRDB

extension Row {
    /// The value at `index` as `T`, or ``StoreError/corrupt(_:)`` when the column holds
    /// something else. GRDB's own subscript stops the process on a failed conversion;
    /// values in this database came, at one time, from peers, so reading them is reading
    /// input and must not trap.
    func checked<T: DatabaseValueConvertible>(_ index: Int, _ what: @autoclosure () -> String) throws -> T {
        let value: DatabaseValue = self[index]
        guard let converted = T.fromDatabaseValue(value) else {
            throw StoreError.corrupt("\(what()) holds \(value.storage.summary), not a \(T.self)")
        }
        return converted
    }

    /// As ``checked(_:_:)``, with SQL NULL read as nil.
    func checkedOptional<T: DatabaseValueConvertible>(_ index: Int, _ what: @autoclosure () -> String) throws -> T? {
        let value: DatabaseValue = self[index]
        if value.isNull { return nil }
        guard let converted = T.fromDatabaseValue(value) else {
            throw StoreError.corrupt("\(what()) holds \(value.storage.summary), not a \(T.self)")
        }
        return converted
    }
}

extension DatabaseValue.Storage {
    /// A short, printable description of a stored value for an error message.
    fileprivate var summary: String {
        switch self {
        case .null: "NULL"
        case .int64(let number): "the integer \(number)"
        case .double(let number): "the real \(number)"
        case .string(let text): "the text '\(text.prefix(40).filter { !$0.isNewline })'"
        case .blob(let data): "a blob of \(data.count) bytes"
        }
    }
}
