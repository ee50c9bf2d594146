/// RFC 4180 CSV: comma-separated, optional double quotes, `""` for a quote inside quotes,
/// CRLF or LF line ends, quoted fields may span lines.
///
/// Pure; the whole text at once, built on ``CSVStream`` (which the history import feeds
/// piece by piece).
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
        var stream = CSVStream()
        try stream.feed(text.utf8) { rows.append(($0, $1)) }
        try stream.finish { rows.append(($0, $1)) }
        return rows
    }
}
