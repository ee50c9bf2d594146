/// GS1 trade item numbers (GTIN-8, UPC-A/GTIN-12, EAN/GTIN-13, GTIN-14).
public enum GTIN {
    public static let validLengths: Set<Int> = [8, 12, 13, 14]

    /// True when `code` has only digits and the length of a GTIN. Such a code is treated as
    /// a barcode, so a wrong check digit is reported instead of "unknown code".
    public static func looksLikeGTIN(_ code: String) -> Bool {
        validLengths.contains(code.utf8.count) && code.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// The check digit for the digits before it (GS1 mod-10: weights 3,1,3,… from the right).
    public static func checkDigit(forPayload payload: some Collection<UInt8>) -> UInt8 {
        var sum = 0
        for (position, byte) in payload.reversed().enumerated() {
            sum += Int(byte - 48) * (position % 2 == 0 ? 3 : 1)
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// True when `code` is a GTIN whose last digit is the right check digit.
    public static func isValid(_ code: String) -> Bool {
        guard looksLikeGTIN(code) else { return false }
        let digits = Array(code.utf8)
        return checkDigit(forPayload: digits.dropLast()) == digits.last! - 48
    }

    /// The 14-digit form (zero-padded, as GS1 defines it), so a UPC-A scanned as 12 digits
    /// finds the item registered with its 13-digit EAN form. Nil when invalid.
    public static func canonical(_ code: String) -> String? {
        guard isValid(code) else { return nil }
        return String(repeating: "0", count: 14 - code.utf8.count) + code
    }

    /// Appends the check digit to a payload of 7, 11, 12 or 13 digits.
    public static func completing(payload: String) -> String {
        payload + String(checkDigit(forPayload: Array(payload.utf8)))
    }
}
