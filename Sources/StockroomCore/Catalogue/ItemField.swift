/// A catalogue field: each one is its own last-writer-wins register per item.
///
/// `alive` is the item's lifecycle register: a create sets it to 1, a delete to 0 (the
/// tombstone). It is not settable through an update (rule "LWW fields and tombstones").
public enum ItemField: String, CaseIterable, Hashable, Comparable, Sendable {
    case alive, name, description, category, price, barcodes, threshold

    /// The fields an operator may set; `alive` is driven by create and delete only.
    public static let editable: [ItemField] = [.name, .description, .category, .price, .barcodes, .threshold]

    public static func < (lhs: ItemField, rhs: ItemField) -> Bool { lhs.code < rhs.code }

    /// Stable small integers for the database and the wire; never renumber.
    public var code: UInt8 {
        switch self {
        case .alive: 0
        case .name: 1
        case .description: 2
        case .category: 3
        case .price: 4
        case .barcodes: 5
        case .threshold: 6
        }
    }

    public init?(code: UInt8) {
        guard let field = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = field
    }
}

/// The value held by a catalogue register.
public enum FieldValue: Hashable, Sendable {
    case null
    case int(Int64)
    case text(String)
    case texts([String])

    public var int: Int64? { if case .int(let v) = self { v } else { nil } }
    public var text: String? { if case .text(let v) = self { v } else { nil } }
    public var texts: [String]? { if case .texts(let v) = self { v } else { nil } }
}

/// A set of register assignments carried by one catalogue op, kept in field order so two
/// equal sets encode to the same bytes.
public struct FieldAssignments: Hashable, Sendable, Sequence {
    public private(set) var values: [ItemField: FieldValue]

    public init(_ values: [ItemField: FieldValue] = [:]) { self.values = values }

    public subscript(field: ItemField) -> FieldValue? {
        get { values[field] }
        set { values[field] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }
    public var count: Int { values.count }

    public func makeIterator() -> IndexingIterator<[(field: ItemField, value: FieldValue)]> {
        values.sorted { $0.key < $1.key }.map { (field: $0.key, value: $0.value) }.makeIterator()
    }
}
