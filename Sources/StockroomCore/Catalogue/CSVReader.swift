/// RFC 4180 CSV: comma-separated, optional double quotes, `""` for a quote inside quotes,
/// CRLF or LF line ends, quoted fields may span lines.
///
/// Pure and streaming-free: a catalogue of a million rows is ~100 MB, which the import
/// command reads in one piece; the daemon never parses CSV on a hot path.
public struct CSVReader: Sendable {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public init() {}

    /// Returns rows of fields, skipping blank lines. Throws on an unterminated quote or a
    /// stray quote inside an unquoted field.
    public func rows(_ text: String) throws -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        var rowLine = 1
        let bytes = Array(text.utf8)
        var index = 0

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRow() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowLine, fields)) }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\n"):
                    endRow()
                    line += 1
                    rowLine = line
                case UInt8(ascii: "\r"):
                    break
                case UInt8(ascii: "\""):
                    guard field.isEmpty, !fieldWasQuoted else {
                        throw ParseError(line: line, message: "a quote inside an unquoted field; quote the whole field")
                    }
                    inQuotes = true
                    fieldWasQuoted = true
                default:
                    field.append(byte)
                }
            }
            index += 1
        }
        if inQuotes { throw ParseError(line: rowLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}
