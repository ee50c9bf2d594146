/// A row of a movement history exported from another system (issue #14):
/// `occurred_at,sku,location,reason,qty` and optionally `actor,device,unit_cost,unit_price,id`.
///
/// Pure. ``HistoryCSV/Header`` maps the columns once; ``HistoryCSV/Header/row(_:line:now:)``
/// checks one row. The store streams a file through them twice: once to list every
/// problem (and refuse the file whole), once to write.
public struct HistoryRow: Hashable, Sendable {
    public enum Reason: String, CaseIterable, Sendable {
        case sale, `return`, receive, adjust, damage, count
    }

    public var line: Int
    public var occurredAt: UInt64
    public var sku: String
    public var location: String
    public var reason: Reason
    /// Units as written: positive for every reason but `adjust` (signed) and `count` (0 or more).
    public var quantity: Int64
    public var actor: String?
    public var device: String?
    public var unitCost: Int64?
    public var unitPrice: Int64?
    public var id: String?

    /// The op this row becomes: a delta signed by its reason, or a count (whose causal
    /// context the writer supplies).
    public func payload(countContext: VersionVector) -> OpPayload {
        let key = StockKey(sku: sku, location: location)
        switch reason {
        case .sale: return .delta(key, quantity: -quantity, reason: .sale)
        case .return: return .delta(key, quantity: quantity, reason: .return)
        case .receive: return .delta(key, quantity: quantity, reason: .receive)
        case .adjust: return .delta(key, quantity: quantity, reason: .adjust)
        case .damage: return .delta(key, quantity: -quantity, reason: .damage)
        case .count: return .count(key, counted: quantity, context: countContext)
        }
    }

    public var facts: OpFacts { OpFacts(occurredAt: occurredAt, unitCost: unitCost, unitPrice: unitPrice) }

    /// The idempotency key of the row, stored as the op's scan id with device `history`:
    /// `h-ID` for a row with an `id`, else `h` and a 64-bit FNV-1a hash of its fields and
    /// `occurrence` (the how-many-th identical row in a run of identical rows it is). So a
    /// file imported twice writes each movement once, and two identical sales in a row
    /// stay two sales.
    public func key(occurrence: Int) -> String {
        if let id { return "h-" + id }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0x1F
            hash &*= 0x0000_0100_0000_01B3
        }
        mix(String(occurredAt))
        mix(sku)
        mix(location)
        mix(reason.rawValue)
        mix(String(quantity))
        mix(actor ?? "")
        mix(device ?? "")
        mix(unitCost.map { String($0) } ?? "")
        mix(unitPrice.map { String($0) } ?? "")
        mix(String(occurrence))
        let hex = String(hash, radix: 16)
        return "h" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Whether `other` is the same movement as written (for counting runs of identical rows).
    public func isSameMovement(as other: HistoryRow) -> Bool {
        var me = self
        me.line = other.line
        return me == other
    }
}

public enum HistoryCSV {
    public static let required = ["occurred_at", "sku", "location", "reason", "qty"]
    public static let optional = ["actor", "device", "unit_cost", "unit_price", "id"]

    /// The columns of a history file, by position.
    public struct Header: Sendable {
        var columns: [String: Int] = [:]

        /// Reads the header row. Throws the problems with it (unknown or missing columns).
        public init(_ fields: [String]) throws(CatalogCSV.Problems) {
            var problems: [CatalogCSV.Problem] = []
            for (index, raw) in fields.enumerated() {
                let name = String(raw.trimmingSpaces).lowercased()
                guard Self.known.contains(name) else {
                    problems.append(
                        .init(
                            line: 1,
                            message:
                                "unknown column '\(name.prefix(40))' (column \(index + 1)); known: \(Self.known.joined(separator: ", "))"
                        ))
                    continue
                }
                if columns[name] != nil { problems.append(.init(line: 1, message: "column '\(name)' appears twice")) }
                columns[name] = index
            }
            let missing = HistoryCSV.required.filter { columns[$0] == nil }
            if !missing.isEmpty {
                problems.append(.init(line: 1, message: "the header needs \(missing.joined(separator: ", "))"))
            }
            if !problems.isEmpty { throw CatalogCSV.Problems(problems) }
        }

        static let known = HistoryCSV.required + HistoryCSV.optional

        /// Checks one row against the rules that need no database: shapes, a time not
        /// after `now` (ms), a reason, and a quantity its reason allows.
        public func row(_ fields: [String], line: Int, now: UInt64) -> HistoryCSV.Checked {
            func field(_ name: String) -> String? {
                guard let index = columns[name], index < fields.count else { return nil }
                let value = fields[index].trimmingSpaces
                return value.isEmpty ? nil : String(value)
            }
            func problem(_ message: String) -> HistoryCSV.Checked {
                .invalid(CatalogCSV.Problem(line: line, message: message))
            }
            guard let timeText = field("occurred_at") else { return problem("occurred_at is empty") }
            guard let occurredAt = ISODate.millis(timeText) else {
                return problem(
                    "occurred_at '\(timeText.prefix(40))' is not an ISO-8601 date or time (2025-03-01 or 2025-03-01T14:05:00Z)"
                )
            }
            guard occurredAt >= OpFacts.earliestMillis else { return problem("occurred_at is before 2000-01-01") }
            guard occurredAt <= now else {
                return problem("occurred_at \(timeText.prefix(40)) is in the future; history is what already happened")
            }
            let sku = field("sku") ?? ""
            if let message = InputRules.identifierProblem(sku, name: "sku") { return problem(message) }
            let location = field("location") ?? ""
            if let message = InputRules.identifierProblem(location, name: "location") { return problem(message) }
            let reasonText = (field("reason") ?? "").lowercased()
            guard let reason = HistoryRow.Reason(rawValue: reasonText) else {
                return problem(
                    "reason '\(reasonText.prefix(20))' is not one of: \(HistoryRow.Reason.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let qtyText = field("qty") ?? ""
            guard let quantity = Int64(qtyText), quantity.magnitude <= UInt64(InputRules.maxQuantity) else {
                return problem(
                    "qty '\(qtyText.prefix(20))' must be a whole number of at most \(InputRules.maxQuantity) units")
            }
            switch reason {
            case .adjust:
                if quantity == 0 { return problem("an adjust of 0 units moves nothing") }
            case .count:
                if quantity < 0 { return problem("a count of \(quantity) is impossible; counts are 0 or more") }
            case .sale, .return, .receive, .damage:
                if quantity <= 0 {
                    return problem(
                        "qty \(quantity) is not allowed for \(reason.rawValue): give the units as a positive number (the reason says which way they moved)"
                    )
                }
            }
            var row = HistoryRow(
                line: line, occurredAt: occurredAt, sku: sku, location: location, reason: reason, quantity: quantity)
            if let actor = field("actor") {
                guard InputRules.isLabel(actor) else {
                    return problem("actor must be 1-\(InputRules.maxLabelLength) bytes of text on one line")
                }
                row.actor = actor
            }
            if let device = field("device") {
                if let message = InputRules.identifierProblem(device, name: "device") { return problem(message) }
                row.device = device
            }
            for name in ["unit_cost", "unit_price"] {
                guard let text = field(name) else { continue }
                guard let cents = Money.cents(text), (0...InputRules.maxPriceCents).contains(cents) else {
                    return problem("\(name) '\(text.prefix(20))' must be an amount like 4.99 (0 to 1,000,000.00)")
                }
                if name == "unit_cost" { row.unitCost = cents } else { row.unitPrice = cents }
            }
            if let id = field("id") {
                guard id.utf8.count <= InputRules.maxIdentifierLength - 2, InputRules.isIdentifier(id) else {
                    return problem("id must be 1-\(InputRules.maxIdentifierLength - 2) printable ASCII characters")
                }
                row.id = id
            }
            return .valid(row)
        }
    }

    /// A row that meets the file rules, or the problem with it.
    public enum Checked: Sendable {
        case valid(HistoryRow)
        case invalid(CatalogCSV.Problem)
    }
}

/// Amounts as written in files: `4.99`, `4`, `4.9`; at most two decimals.
public enum Money {
    public static func cents(_ text: some StringProtocol) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.allSatisfy(\.isASCIIDigit),
            wholeText.count <= 12, let whole = Int64(wholeText)
        else { return nil }
        var cents = whole * 100
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit), let value = Int64(fraction)
            else { return nil }
            cents += fraction.count == 1 ? value * 10 : value
        }
        return cents
    }

    /// `1234` cents as `12.34`.
    public static func text(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// ISO-8601 times as exported by other systems, parsed without Foundation's formatters
/// (which cost ~10 µs a row): `2025-03-01` (taken as 12:00 UTC, so the date is the same in
/// every time zone of the chain), `2025-03-01T14:05`, `…:07`, `…:07.250`, with `Z`, `±HH:MM`
/// or nothing (UTC); a space may replace the `T`.
public enum ISODate {
    public static func millis(_ text: some StringProtocol) -> UInt64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<digits {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            (1...12).contains(month), (1...daysIn(month, year)).contains(day)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard index < bytes.count else { return UInt64(days * 86_400_000 + 43_200_000) }
        guard expect(84) || expect(32) || expect(116), let hour = number(2), expect(58), let minute = number(2),
            hour < 24, minute < 60
        else { return nil }
        var seconds = 0
        var millis = 0
        if expect(58) {
            guard let value = number(2), value < 60 else { return nil }
            seconds = value
            if expect(46) || expect(44) {
                var digits = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if digits < 3 { millis = millis * 10 + Int(bytes[index] - 48) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                // Digits past the third (microseconds, nanoseconds) are read and dropped.
                for _ in min(digits, 3)..<3 { millis *= 10 }
            }
        }
        var offsetMinutes = 0
        if expect(90) || expect(122) {
        } else if index < bytes.count {
            let sign = bytes[index] == 43 ? 1 : bytes[index] == 45 ? -1 : 0
            guard sign != 0 else { return nil }
            index += 1
            guard let hours = number(2), hours <= 14 else { return nil }
            _ = expect(58)
            guard let minutes = number(2), minutes < 60 else { return nil }
            offsetMinutes = sign * (hours * 60 + minutes)
        }
        guard index == bytes.count else { return nil }
        let total =
            days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + seconds * 1000 + millis - offsetMinutes * 60_000
        return total >= 0 ? UInt64(total) : nil
    }

    /// `2025-03-01T14:05:07.250Z` for ms since the epoch.
    public static func text(_ millis: UInt64) -> String {
        let days = Int(millis / 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let within = Int(millis % 86_400_000)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = within % 1000
        return "\(year)-\(two(month))-\(two(day))T\(two(within / 3_600_000)):\(two(within / 60_000 % 60)):"
            + "\(two(within / 1000 % 60)).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)Z"
    }

    /// `2025-03-01` for a day number (days since 1970-01-01).
    public static func dateText(day: Int64) -> String {
        let (year, month, dayOfMonth) = civil(fromDays: Int(day))
        return "\(year)-\(month < 10 ? "0" : "")\(month)-\(dayOfMonth < 10 ? "0" : "")\(dayOfMonth)"
    }

    /// The day number of a `YYYY-MM-DD` date, or nil.
    public static func day(_ text: some StringProtocol) -> Int64? {
        guard text.utf8.count == 10, let millis = millis(text) else { return nil }
        return Int64(millis / 86_400_000)
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
