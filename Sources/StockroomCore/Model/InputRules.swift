/// Shape rules for the identifiers and texts a client sends, shared by every entry point
/// (HTTP, CSV import, the sync decoder) so they cannot drift apart.
public enum InputRules {
    public static let maxIdentifierLength = 64
    public static let maxNameLength = 200
    public static let maxDescriptionLength = 2000
    public static let maxBarcodesPerItem = 16
    /// The largest quantity one scan or count may carry. Far above any real shelf, far
    /// below overflow when millions of them are summed.
    public static let maxQuantity: Int64 = 1_000_000
    public static let maxPriceCents: Int64 = 1_000_000_000_00

    /// A SKU, location, device or scan id: 1–64 bytes of printable ASCII with no spaces at
    /// the ends, and no control characters.
    public static func isIdentifier(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxIdentifierLength else { return false }
        guard utf8.first != 32, utf8.last != 32 else { return false }
        return utf8.allSatisfy { $0 >= 32 && $0 < 127 }
    }

    /// Why `text` is not an identifier (``isIdentifier(_:)``), in words an operator can act
    /// on; nil when it is one. `name` is the field, e.g. `code`.
    public static func identifierProblem(_ text: String, name: String) -> String? {
        if isIdentifier(text) { return nil }  // the scan path: no message to build
        let utf8 = text.utf8
        if utf8.isEmpty { return "\(name) must not be empty" }
        if utf8.count > maxIdentifierLength {
            return "\(name) must be at most \(maxIdentifierLength) characters (it has \(utf8.count) bytes)"
        }
        if utf8.first == 32 || utf8.last == 32 { return "\(name) must not start or end with a space" }
        if !utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            return "\(name) may hold only printable ASCII characters (letters, digits, punctuation, inner spaces)"
        }
        return nil
    }

    /// The longest actor (who caused an op: a token's label and id, a user, `system`).
    public static let maxLabelLength = 128
    /// The longest token label.
    public static let maxTokenLabelLength = 64

    /// An actor or a label: 1 to `maxLength` bytes of text on one line, without control
    /// characters (C0, DEL or C1), so it prints safely in a terminal and a log.
    public static func isLabel(_ text: String, maxLength: Int = maxLabelLength) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        // Fast path (every op's actor passes here): printable ASCII needs no scalar walk.
        if utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) { return true }
        return text.unicodeScalars.allSatisfy { !isControl($0) }
    }

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 32 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// Free text (names, descriptions): no control characters except tab and newline.
    public static func isText(_ text: String, maxLength: Int) -> Bool {
        text.utf8.count <= maxLength
            && text.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value != 127 || $0 == "\n" || $0 == "\t" }
    }

    /// Parses a decimal price such as `12.99`, `12.9` or `12` into cents; nil otherwise.
    public static func parsePriceCents(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit),
            whole.count <= 12, let units = Int64(whole)
        else { return nil }
        var cents: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit) else { return nil }
            cents = Int64(fraction)! * (fraction.count == 1 ? 10 : 1)
        }
        let total = units * 100 + cents
        return total <= maxPriceCents ? total : nil
    }

    /// `1299` → `12.99`.
    public static func formatPrice(cents: Int64) -> String {
        let fraction = cents % 100
        return "\(cents / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
