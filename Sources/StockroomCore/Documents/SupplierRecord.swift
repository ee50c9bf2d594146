/// Suppliers and what they supply (issue #12): last-writer-wins registers, like the
/// catalogue (rule C1), set by op kind `supplier` (sync-protocol section 10.8).
///
/// One op assigns fields of a supplier (`sku` nil: name, contact, email, lead time,
/// minimum order, pack size, active) or of one of its items (`sku` set: the supplier's SKU
/// for it and its unit cost, and a pack size of its own). Each (supplier, sku, field) is its
/// own register: the assignment with the highest (hlc, origin) holds.
public struct SupplierAssignment: Hashable, Sendable {
    public var supplier: String
    public var sku: String?
    public var fields: [SupplierField: FieldValue]

    public init(supplier: String, sku: String? = nil, fields: [SupplierField: FieldValue]) {
        self.supplier = supplier
        self.sku = sku
        self.fields = fields
    }

    /// Rule V12: identifiers, fields of the right scope, values of their type and range.
    public var problem: String? {
        if let problem = InputRules.identifierProblem(supplier, name: "supplier id") { return problem }
        if let sku, let problem = InputRules.identifierProblem(sku, name: "sku") { return problem }
        guard !fields.isEmpty else { return "assign at least one field" }
        for (field, value) in fields.sorted(by: { $0.key.code < $1.key.code }) {
            guard field.isItemField == (sku != nil) else {
                return sku == nil
                    ? "\(field.rawValue) belongs to a supplier's item; name the sku"
                    : "\(field.rawValue) belongs to the supplier, not to one of its items"
            }
            if let problem = field.problem(with: value) { return "\(field.rawValue) \(problem)" }
        }
        return nil
    }
}

/// A supplier register. Codes are stable on the wire and in the database.
public enum SupplierField: String, CaseIterable, Hashable, Sendable {
    case name, contact, email
    case leadTimeDays = "lead_time_days"
    case minimumOrder = "minimum_order"
    case packSize = "pack_size"
    case active
    case supplierSKU = "supplier_sku"
    case unitCost = "unit_cost_cents"
    case itemPackSize = "item_pack_size"

    public var code: UInt8 {
        switch self {
        case .name: 1
        case .contact: 2
        case .email: 3
        case .leadTimeDays: 4
        case .minimumOrder: 5
        case .packSize: 6
        case .active: 7
        case .supplierSKU: 8
        case .unitCost: 9
        case .itemPackSize: 10
        }
    }

    public init?(code: UInt64) {
        guard let field = Self.allCases.first(where: { UInt64($0.code) == code }) else { return nil }
        self = field
    }

    /// Fields of one supplier item rather than of the supplier.
    public var isItemField: Bool { [.supplierSKU, .unitCost, .itemPackSize].contains(self) }

    /// Why `value` does not fit this field, or nil. Null clears any field but `name`.
    public func problem(with value: FieldValue) -> String? {
        if value == .null { return self == .name ? "must not be empty" : nil }
        switch self {
        case .name, .contact:
            guard let text = value.text, InputRules.isLabel(text, maxLength: InputRules.maxNameLength) else {
                return "must be 1-\(InputRules.maxNameLength) bytes of text on one line"
            }
        case .email:
            guard let text = value.text, text.utf8.count <= 254, InputRules.isIdentifier(text),
                let at = text.firstIndex(of: "@"), at != text.startIndex, text[text.index(after: at)...].contains(".")
            else { return "must be an e-mail address like orders@supplier.example" }
        case .supplierSKU:
            guard let text = value.text, InputRules.isIdentifier(text) else {
                return "must be 1-\(InputRules.maxIdentifierLength) printable ASCII characters"
            }
        case .leadTimeDays:
            guard let days = value.int, (0...365).contains(days) else { return "must be 0 to 365 days" }
        case .minimumOrder:
            guard let units = value.int, (0...InputRules.maxQuantity).contains(units) else {
                return "must be 0 to \(InputRules.maxQuantity) units"
            }
        case .packSize, .itemPackSize:
            guard let units = value.int, (1...InputRules.maxQuantity).contains(units) else {
                return "must be 1 to \(InputRules.maxQuantity) units"
            }
        case .unitCost:
            guard let cents = value.int, (0...InputRules.maxPriceCents).contains(cents) else {
                return "must be 0 to \(InputRules.maxPriceCents) cents"
            }
        case .active:
            guard let flag = value.int, flag == 0 || flag == 1 else { return "must be 0 or 1" }
        }
        return nil
    }
}
