/// Item fields as posted to `POST /v1/items` or `PATCH /v1/items/{sku}`. Every field is
/// optional here; create requires `sku` and `name`. For PATCH, `null` clears `price` or
/// `threshold`.
///
/// `price` is a decimal string ("12.99") or a JSON number (12.99) with at most two
/// decimals; `price_cents` is a whole number of cents. Field texts are checked by the
/// store, which owns their limits. Fuzzed by Tests/Fuzz/FuzzScanJSON.swift.
public struct ItemInput: Decodable, Hashable, Sendable {
    public var sku: String?
    public var fields = FieldAssignments()

    enum CodingKeys: String, CodingKey {
        case sku, name, description, category, price, barcodes, threshold, priceCents = "price_cents"
    }

    /// - Throws: `DecodingError` for a wrong JSON type, ``InputError`` `invalid_value`
    ///   for a price that is negative, has more than two decimals or is over the limit.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sku = try container.decodeIfPresent(String.self, forKey: .sku)
        for (key, field) in [
            (CodingKeys.name, ItemField.name), (.description, .description), (.category, .category),
            (.barcodes, .barcodes),
        ] where container.contains(key) {
            // An explicit null was ignored silently (finding 25): these fields hold text, so
            // null is refused with what to send instead.
            if try container.decodeNil(forKey: key) {
                throw InputError(
                    "invalid_value",
                    field == .name
                        ? "name cannot be null; send the item's name"
                        : "\(key.stringValue) cannot be null; send \(field == .barcodes ? "[]" : "\"\"") to clear it")
            }
            fields[field] =
                field == .barcodes
                ? .texts(try container.decode([String].self, forKey: key))
                : .text(try container.decode(String.self, forKey: key))
        }
        if container.contains(.price) && container.contains(.priceCents) {
            throw InputError("invalid_value", "send either price or price_cents, not both")
        }
        if let threshold = try Self.nullableInt(container, .threshold) { fields[.threshold] = threshold }
        if let cents = try Self.nullableInt(container, .priceCents) { fields[.price] = cents }
        if container.contains(.price) {
            fields[.price] = try Self.price(container)
        }
    }

    /// Absent: nil; `null`: `.null` (PATCH clears the field); a number: `.int`.
    private static func nullableInt(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> FieldValue? {
        guard container.contains(key) else { return nil }
        if try container.decodeNil(forKey: key) { return .null }
        return .int(try container.decode(Int64.self, forKey: key))
    }

    private static func price(_ container: KeyedDecodingContainer<CodingKeys>) throws -> FieldValue {
        if try container.decodeNil(forKey: .price) { return .null }
        if let text = try? container.decode(String.self, forKey: .price) {
            guard let cents = InputRules.parsePriceCents(text) else {
                throw InputError("invalid_value", "price '\(text)' is not a decimal like 12.99")
            }
            return .int(cents)
        }
        let number = try container.decode(Double.self, forKey: .price)
        let cents = (number * 100).rounded()
        guard number >= 0, abs(number * 100 - cents) < 1e-6, cents <= Double(InputRules.maxPriceCents) else {
            throw InputError("invalid_value", "price must be non-negative with at most two decimals")
        }
        return .int(Int64(cents))
    }
}
