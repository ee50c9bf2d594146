/// Reads a catalogue CSV into validated item rows.
///
/// The first row is a header. Recognised columns (any order, any case): `sku` and `name`
/// (required), `description`, `category`, `price` (decimal, e.g. `12.99`), `barcode` or
/// `barcodes` (several separated by `|` or spaces), `threshold` (low-stock threshold).
/// Columns it does not know are reported, not silently dropped.
public enum CatalogCSV {
    public struct Row: Hashable, Sendable {
        public var line: Int
        public var sku: String
        public var fields: FieldAssignments
    }

    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    /// Every problem in a file, in line order.
    public struct Problems: Error, Hashable, Sendable, CustomStringConvertible {
        public var all: [Problem]
        public init(_ all: [Problem]) { self.all = all }
        /// The first twenty, one per line: enough to act on without flooding a terminal.
        public var description: String {
            let shown = all.prefix(20).map(\.description).joined(separator: "\n")
            return all.count > 20 ? shown + "\n… and \(all.count - 20) more" : shown
        }
    }

    public static let knownColumns = [
        "sku", "name", "description", "category", "price", "barcode", "barcodes", "threshold",
    ]

    /// Parses and validates a file's bytes: UTF-8, with or without the byte-order mark that
    /// Excel's "CSV UTF-8" writes. Bytes that are not UTF-8 (a Latin-1 export, say) are
    /// refused with the line they are on, instead of becoming U+FFFD without a word.
    public static func parse(bytes: some Collection<UInt8>) -> Result<[Row], Problems> {
        text(of: bytes).flatMap(parse)
    }

    /// A CSV file's bytes as text: UTF-8, the byte-order mark dropped; any other encoding
    /// refused with the line of its first byte that is not UTF-8. Shared by every CSV import.
    public static func text(of bytes: some Collection<UInt8>) -> Result<String, Problems> {
        var body = Array(bytes)
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body.removeFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            var line = 1
            var offset = 0
            while offset < body.count {
                let remaining = body[offset...]
                let end = remaining.firstIndex(of: UInt8(ascii: "\n")) ?? body.count
                if String(validating: body[offset..<end], as: UTF8.self) == nil { break }
                line += 1
                offset = end + 1
            }
            return .failure(
                Problems([
                    Problem(
                        line: line,
                        message:
                            "the file is not UTF-8 (a Latin-1 or Windows-1252 export?); save it as 'CSV UTF-8' and import again"
                    )
                ]))
        }
        return .success(text)
    }

    /// Parses and validates the whole file. Returns every problem found (so an operator can
    /// fix them in one pass), or the rows when there is none.
    public static func parse(_ text: String) -> Result<[Row], Problems> {
        let table: [(line: Int, fields: [String])]
        do {
            table = try CSVReader().rows(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        } catch let error as CSVReader.ParseError {
            return .failure(Problems([Problem(line: error.line, message: error.message)]))
        } catch {
            return .failure(Problems([Problem(line: 0, message: "\(error)")]))
        }
        guard let header = table.first else {
            return .failure(Problems([Problem(line: 1, message: "the file is empty")]))
        }
        let names = header.fields.map { $0.lowercased().trimmingSpaces }.map(String.init)
        var problems: [Problem] = []
        var seenColumns = Set<String>()
        for name in names where !seenColumns.insert(name).inserted {
            problems.append(Problem(line: header.line, message: "column '\(name)' appears twice in the header"))
        }
        for name in names where !knownColumns.contains(name) {
            problems.append(
                Problem(
                    line: header.line,
                    message: "unknown column '\(name)'; known: \(knownColumns.joined(separator: ", "))"))
        }
        guard let skuColumn = names.firstIndex(of: "sku"), let nameColumn = names.firstIndex(of: "name") else {
            return .failure(
                Problems(problems + [Problem(line: header.line, message: "the header needs at least 'sku' and 'name'")])
            )
        }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        let barcodeColumn = column("barcodes") ?? column("barcode")

        var rows: [Row] = []
        var seenSKUs: [String: Int] = [:]
        var seenBarcodes: [String: Int] = [:]
        for record in table.dropFirst() {
            func cell(_ index: Int?) -> String? {
                guard let index, index < record.fields.count else { return nil }
                return String(record.fields[index].trimmingSpaces)
            }
            guard record.fields.count == names.count else {
                problems.append(
                    Problem(
                        line: record.line, message: "has \(record.fields.count) fields, the header has \(names.count)"))
                continue
            }
            let sku = cell(skuColumn) ?? ""
            if let problem = InputRules.identifierProblem(sku, name: "sku '\(sku.prefix(70))'") {
                problems.append(Problem(line: record.line, message: problem))
                continue
            }
            if let first = seenSKUs[sku] {
                problems.append(Problem(line: record.line, message: "sku '\(sku)' already appears on line \(first)"))
                continue
            }
            seenSKUs[sku] = record.line
            var fields = FieldAssignments()
            fields[.name] = .text(cell(nameColumn) ?? "")
            if let text = cell(column("description")) { fields[.description] = .text(text) }
            if let text = cell(column("category")) { fields[.category] = .text(text) }
            if let text = cell(column("price")) {
                if text.isEmpty {
                    fields[.price] = .null
                } else if let cents = InputRules.parsePriceCents(text) {
                    fields[.price] = .int(cents)
                } else {
                    problems.append(Problem(line: record.line, message: "price '\(text)' is not a decimal like 12.99"))
                }
            }
            if let text = cell(column("threshold")) {
                if text.isEmpty {
                    fields[.threshold] = .null
                } else if let threshold = Int64(text) {
                    fields[.threshold] = .int(threshold)
                } else {
                    problems.append(Problem(line: record.line, message: "threshold '\(text)' is not a whole number"))
                }
            }
            if let text = cell(barcodeColumn) {
                let codes = text.split(whereSeparator: { $0 == "|" || $0 == " " }).map(String.init)
                fields[.barcodes] = .texts(codes)
                for code in codes {
                    if let canonical = GTIN.canonical(code) {
                        if let first = seenBarcodes[canonical] {
                            problems.append(
                                Problem(line: record.line, message: "barcode \(code) already appears on line \(first)"))
                        }
                        seenBarcodes[canonical] = record.line
                    }
                }
            }
            for (field, value) in fields {
                if let problem = field.problem(with: value) {
                    problems.append(Problem(line: record.line, message: "\(field.rawValue) \(problem)"))
                }
            }
            rows.append(Row(line: record.line, sku: sku, fields: fields))
        }
        return problems.isEmpty ? .success(rows) : .failure(Problems(problems))
    }
}
