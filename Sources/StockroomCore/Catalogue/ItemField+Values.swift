extension ItemField {
    /// What kind of value a field holds, so every decoder checks the same thing.
    public enum ValueKind: Sendable {
        /// Free text, never null.
        case text(maxLength: Int)
        /// A non-negative integer, or null.
        case optionalInt(max: Int64)
        /// A list of GTIN barcodes.
        case barcodes
        /// 0 or 1.
        case flag
    }

    public var valueKind: ValueKind {
        switch self {
        case .alive: .flag
        case .name: .text(maxLength: InputRules.maxNameLength)
        case .description: .text(maxLength: InputRules.maxDescriptionLength)
        case .category: .text(maxLength: InputRules.maxNameLength)
        case .price: .optionalInt(max: InputRules.maxPriceCents)
        case .threshold: .optionalInt(max: InputRules.maxQuantity)
        case .barcodes: .barcodes
        }
    }

    /// The value a create gives a field the client left out.
    public var defaultValue: FieldValue {
        switch self {
        case .alive: .int(1)
        case .name, .description, .category: .text("")
        case .price, .threshold: .null
        case .barcodes: .texts([])
        }
    }

    /// Checks a value against the field's kind; returns a message for the operator, or nil
    /// when valid.
    public func problem(with value: FieldValue) -> String? {
        switch (valueKind, value) {
        case (.text(let maxLength), .text(let text)):
            if self == .name && text.trimmingSpaces.isEmpty { return "must not be empty" }
            if self != .description {
                // Names and categories are one line: they head lists, labels and CSV cells.
                return text.utf8.count <= maxLength && !text.unicodeScalars.contains(where: InputRules.isControl)
                    ? nil : "must be one line of at most \(maxLength) bytes with no control characters"
            }
            return InputRules.isText(text, maxLength: maxLength)
                ? nil : "must be at most \(maxLength) bytes with no control characters"
        case (.optionalInt, .null): return nil
        case (.optionalInt(let max), .int(let number)):
            return (0...max).contains(number) ? nil : "must be between 0 and \(max)"
        case (.barcodes, .texts(let codes)):
            guard codes.count <= InputRules.maxBarcodesPerItem else {
                return "at most \(InputRules.maxBarcodesPerItem) barcodes per item"
            }
            if let bad = codes.first(where: { !GTIN.isValid($0) }) {
                return GTIN.looksLikeGTIN(bad)
                    ? "barcode '\(bad)' has a wrong check digit"
                    : "barcode '\(bad)' is not a GTIN-8, UPC-A, EAN-13 or GTIN-14"
            }
            let canonical = codes.compactMap(GTIN.canonical)
            return Set(canonical).count == canonical.count ? nil : "lists the same barcode twice"
        case (.flag, .int(let flag)): return flag == 0 || flag == 1 ? nil : "must be 0 or 1"
        default: return "has the wrong type"
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        let trimmed = drop(while: { $0 == " " })
        return trimmed[
            ..<(trimmed.lastIndex(where: { $0 != " " }).map { trimmed.index(after: $0) } ?? trimmed.startIndex)]
    }
}
