import Foundation
public import StockroomCore

/// A report as a table: typed columns, rows, and the totals of the columns that add up.
/// The JSON and the CSV are two renderings of the same table, so their totals are equal.
public struct ReportTable: Sendable {
    public enum Kind: String, Sendable {
        case text, integer, money, ratio, date
    }

    public struct Column: Sendable {
        public var name: String
        public var kind: Kind
        /// Whether the totals row sums this column.
        public var summed: Bool

        public init(_ name: String, _ kind: Kind, summed: Bool = false) {
            self.name = name
            self.kind = kind
            self.summed = summed
        }
    }

    public enum Cell: Sendable, Hashable {
        case text(String)
        case integer(Int64)
        /// Cents.
        case money(Int64)
        case ratio(Double)
        /// A day number (days since 1970-01-01).
        case date(Int64)
        case none

        /// The CSV spelling: money as 12.34, ratios to 4 decimals, dates as 2025-03-01.
        public var text: String {
            switch self {
            case .text(let text): text
            case .integer(let number): String(number)
            case .money(let cents): Money.text(cents)
            case .ratio(let value): String(format4(value))
            case .date(let day): ISODate.dateText(day: day)
            case .none: ""
            }
        }

        private func format4(_ value: Double) -> String {
            let scaled = (value * 10_000).rounded() / 10_000
            return scaled == scaled.rounded() ? String(Int64(scaled)) : String(scaled)
        }
    }

    public var name: String
    public var from: Int64?
    public var to: Int64
    public var location: String?
    public var columns: [Column]
    public var rows: [[Cell]]
    /// Notes for the reader: what a figure means, what was left out.
    public var notes: [String] = []

    public init(name: String, from: Int64?, to: Int64, location: String?, columns: [Column], rows: [[Cell]]) {
        self.name = name
        self.from = from
        self.to = to
        self.location = location
        self.columns = columns
        self.rows = rows
    }

    /// The totals row: sums of the summed columns (integers and money), `none` elsewhere.
    public var totals: [Cell] {
        columns.indices.map { index in
            guard columns[index].summed else { return .none }
            var sum: Int64 = 0
            for row in rows {
                switch row[index] {
                case .integer(let value), .money(let value): sum = sum &+ value
                default: break
                }
            }
            return columns[index].kind == .money ? .money(sum) : .integer(sum)
        }
    }

    /// RFC 4180 CSV in UTF-8: a header, the rows, and a last row `TOTAL` with the totals.
    /// A text cell starting with `= + - @` (or a tab or carriage return) is prefixed with a
    /// `'`, so a spreadsheet shows it rather than running it as a formula.
    public var csv: String {
        var out = columns.map { Self.csvField($0.name) }.joined(separator: ",") + "\r\n"
        out.reserveCapacity(rows.count * columns.count * 8)
        for row in rows {
            out += row.map { Self.csvField($0) }.joined(separator: ",") + "\r\n"
        }
        if columns.contains(where: \.summed) {
            let totals = totals
            out +=
                columns.indices.map { index in
                    index == 0 && !columns[0].summed ? "TOTAL" : Self.csvField(totals[index])
                }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func csvField(_ cell: Cell) -> String {
        if case .text(let text) = cell { return csvField(text) }
        return cell.text  // numbers, dates: nothing to quote or neutralise
    }

    /// Quotes a field when needed and neutralises formula triggers (a plain whole number
    /// such as -5 is left as it is: a spreadsheet reads it as the number it is).
    public static func csvField(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Int64(value) == nil {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension ReportTable {
    /// The JSON rendering: `{"report","from","to","location","columns":[{name,type}],
    /// "rows":[{column: value}],"totals":{column: value},"notes":[…]}`. Money is a decimal
    /// number of the currency (12.34), dates are `YYYY-MM-DD`, a missing value is null.
    public var json: [UInt8] {
        func value(_ cell: Cell) -> Any {
            switch cell {
            case .text(let text): text
            case .integer(let number): NSNumber(value: number)
            case .money(let cents): NSDecimalNumber(mantissa: cents.magnitude, exponent: -2, isNegative: cents < 0)
            case .ratio(let ratio): NSNumber(value: (ratio * 10_000).rounded() / 10_000)
            case .date(let day): ISODate.dateText(day: day)
            case .none: NSNull()
            }
        }
        var totalsObject: [String: Any] = [:]
        for (column, total) in zip(columns, totals) where column.summed { totalsObject[column.name] = value(total) }
        let object: [String: Any] = [
            "report": name,
            "from": from.map { ISODate.dateText(day: $0) as Any } ?? NSNull(),
            "to": ISODate.dateText(day: to),
            "location": location as Any? ?? NSNull(),
            "columns": columns.map { ["name": $0.name, "type": $0.kind.rawValue] },
            "rows": rows.map { row in
                Dictionary(uniqueKeysWithValues: zip(columns, row).map { ($0.name, value($1)) })
            },
            "row_count": rows.count,
            "totals": totalsObject,
            "notes": notes,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// A plain-text table for a terminal: aligned columns, at most `limit` rows, totals.
    public func text(limit: Int = 50) -> String {
        let header = columns.map(\.name)
        var lines = [header] + rows.prefix(limit).map { $0.map(\.text) }
        if columns.contains(where: \.summed) {
            lines.append(
                columns.indices.map { index in index == 0 && !columns[0].summed ? "TOTAL" : totals[index].text })
        }
        var widths = Array(repeating: 0, count: columns.count)
        for line in lines {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], min(40, cell.count)) }
        }
        var out = lines.enumerated().map { number, line in
            let rendered = line.enumerated().map { index, cell in
                let clipped = cell.count > 40 ? String(cell.prefix(39)) + "…" : cell
                return clipped.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            return number == 0
                ? rendered + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : rendered
        }.joined(separator: "\n")
        if rows.count > limit { out += "\n… \(rows.count - limit) more rows (use --format csv for all)" }
        for note in notes { out += "\n* " + note }
        return out
    }
}
