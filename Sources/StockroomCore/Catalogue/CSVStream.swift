/// An incremental RFC 4180 parser: feed it bytes in pieces of any size and it hands over
/// each complete row with the line it started on. Memory is one row, whatever the file's
/// size: `stockroom import history` streams five million rows through it.
///
/// Comma-separated, optional double quotes, `""` for a quote inside quotes, CRLF or LF line
/// ends, quoted fields may span lines; blank lines are skipped.
public struct CSVStream: Sendable {
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var inQuotes = false
    private var fieldWasQuoted = false
    /// A quote seen inside quotes, not yet known to be `""` or the closing quote.
    private var pendingQuote = false
    private var line = 1
    private var rowLine = 1

    public init() {}

    /// Parses `bytes`, calling `row` for each row completed in them.
    ///
    /// - Throws: ``CSVReader/ParseError`` for a stray quote inside an unquoted field, and
    ///   whatever `row` throws.
    public mutating func feed(
        _ bytes: some Sequence<UInt8>, row: (_ line: Int, _ fields: [String]) throws -> Void
    ) throws {
        for byte in bytes {
            if pendingQuote {
                pendingQuote = false
                if byte == UInt8(ascii: "\"") {
                    field.append(byte)
                    continue
                }
                inQuotes = false
            }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    pendingQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                try endRow(row)
                line += 1
                rowLine = line
            case UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw CSVReader.ParseError(
                        line: line, message: "a quote inside an unquoted field; quote the whole field")
                }
                inQuotes = true
                fieldWasQuoted = true
            default:
                field.append(byte)
            }
        }
    }

    /// Ends the input: hands over a last row without a line end.
    ///
    /// - Throws: ``CSVReader/ParseError`` when a quoted field is never closed.
    public mutating func finish(row: (_ line: Int, _ fields: [String]) throws -> Void) throws {
        if pendingQuote {
            pendingQuote = false
            inQuotes = false
        }
        if inQuotes { throw CSVReader.ParseError(line: rowLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { try endRow(row) }
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        fieldWasQuoted = false
    }

    private mutating func endRow(_ row: (Int, [String]) throws -> Void) throws {
        endField()
        if !(fields.count == 1 && fields[0].isEmpty) { try row(rowLine, fields) }
        fields.removeAll(keepingCapacity: true)
    }
}
