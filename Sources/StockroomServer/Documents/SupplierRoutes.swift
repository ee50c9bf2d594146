import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Suppliers: `GET/POST /v1/suppliers`, `GET/PATCH /v1/suppliers/{id}`,
/// `PUT /v1/suppliers/{id}/items/{sku}` (the supplier's SKU, unit cost and pack size).
struct SupplierRoutes {
    let store: StockroomStore

    /// The body of a create, an edit or an item: absent fields are left alone, `null`
    /// clears one (not the name).
    struct Input: Decodable {
        var fields: [SupplierField: FieldValue] = [:]
        var id: String?

        enum CodingKeys: String, CodingKey {
            case id, name, contact, email, active
            case leadTimeDays = "lead_time_days", minimumOrder = "minimum_order", packSize = "pack_size"
            case supplierSKU = "supplier_sku", unitCost = "unit_cost", unitCostCents = "unit_cost_cents"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(String.self, forKey: .id)
            func text(_ key: CodingKeys, _ field: SupplierField) throws {
                guard container.contains(key) else { return }
                fields[field] =
                    try container.decodeNil(forKey: key) ? .null : .text(try container.decode(String.self, forKey: key))
            }
            func int(_ key: CodingKeys, _ field: SupplierField) throws {
                guard container.contains(key) else { return }
                fields[field] =
                    try container.decodeNil(forKey: key) ? .null : .int(try container.decode(Int64.self, forKey: key))
            }
            try text(.name, .name)
            try text(.contact, .contact)
            try text(.email, .email)
            try int(.leadTimeDays, .leadTimeDays)
            try int(.minimumOrder, .minimumOrder)
            try int(.packSize, .packSize)
            try text(.supplierSKU, .supplierSKU)
            try int(.unitCostCents, .unitCost)
            if container.contains(.unitCost) {
                if try container.decodeNil(forKey: .unitCost) {
                    fields[.unitCost] = .null
                } else {
                    let text = try container.decode(String.self, forKey: .unitCost)
                    guard let cents = InputRules.parsePriceCents(text) else {
                        throw InputError("invalid_value", "unit_cost '\(text.prefix(32))' is not a decimal like 4.50")
                    }
                    fields[.unitCost] = .int(cents)
                }
            }
            if container.contains(.active) {
                fields[.active] = .int(try container.decode(Bool.self, forKey: .active) ? 1 : 0)
            }
        }

        /// The fields for the supplier (`item` false) or one of its items, or why not.
        func checked(item: Bool) throws -> [SupplierField: FieldValue] {
            var fields = self.fields
            if item, let pack = fields.removeValue(forKey: .packSize) { fields[.itemPackSize] = pack }
            for (field, value) in fields.sorted(by: { $0.key.code < $1.key.code }) {
                if field.isItemField != item {
                    throw InputError(
                        "invalid_value",
                        item
                            ? "\(field.rawValue) is the supplier's; set it with PATCH /v1/suppliers/{id}"
                            : "\(field.rawValue) is an item's; set it with PUT /v1/suppliers/{id}/items/{sku}")
                }
                if let problem = field.problem(with: value) {
                    throw InputError("invalid_value", "\(field == .unitCost ? "unit_cost" : field.rawValue) \(problem)")
                }
            }
            guard !fields.isEmpty else { throw InputError("invalid_value", "the body assigns no field") }
            return fields
        }
    }

    struct SupplierResponse: ResponseEncodable {
        var record: SupplierRecord

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            try container.encode(record.id, forKey: DynamicKey("id"))
            func encode(
                _ fields: [SupplierField: FieldValue], into container: inout KeyedEncodingContainer<DynamicKey>,
                _ keys: [SupplierField]
            ) throws {
                for field in keys {
                    let value = fields[field] ?? .null
                    let key = DynamicKey(
                        field == .unitCost ? "unit_cost" : field == .itemPackSize ? "pack_size" : field.rawValue)
                    switch (field, value) {
                    case (.active, .int(let flag)): try container.encode(flag != 0, forKey: key)
                    case (.active, _): try container.encode(true, forKey: key)
                    case (.unitCost, .int(let cents)):
                        try container.encode(InputRules.formatPrice(cents: cents), forKey: key)
                    case (_, .int(let number)): try container.encode(number, forKey: key)
                    case (_, .text(let text)): try container.encode(text, forKey: key)
                    default: try container.encodeNil(forKey: key)
                    }
                }
            }
            try encode(
                record.fields, into: &container,
                [.name, .contact, .email, .leadTimeDays, .minimumOrder, .packSize, .active])
            var items = container.nestedUnkeyedContainer(forKey: DynamicKey("items"))
            for (sku, fields) in record.items.sorted(by: { $0.key < $1.key }) {
                var item = items.nestedContainer(keyedBy: DynamicKey.self)
                try item.encode(sku, forKey: DynamicKey("sku"))
                try encode(fields, into: &item, [.supplierSKU, .unitCost, .itemPackSize])
            }
        }
    }

    struct SuppliersResponse: ResponseEncodable {
        var items: [SupplierResponse]
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("suppliers") { _, _ -> SuppliersResponse in
            SuppliersResponse(items: try await store.suppliers().map(SupplierResponse.init))
        }
        group.get("suppliers/:id") { _, context -> SupplierResponse in
            SupplierResponse(record: try await self.find(try context.pathParameter("id")))
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        group.post("suppliers") { request, context -> Response in
            let body = try await RequestDecoding.json(Input.self, from: request)
            guard let id = body.id else {
                throw InputError("invalid_value", "a supplier needs an 'id' (your code for it)")
            }
            if let problem = InputRules.identifierProblem(id, name: "id") { throw InputError("invalid_value", problem) }
            let record = try await store.createSupplier(
                id, fields: try body.checked(item: false), actor: context.principal!.actorName)
            return try SupplierResponse(record: record).response(from: request, context: context, status: .created)
        }
        group.patch("suppliers/:id") { request, context -> SupplierResponse in
            let id = try context.pathParameter("id")
            let body = try await RequestDecoding.json(Input.self, from: request)
            _ = try await self.find(id)
            return SupplierResponse(
                record: try await store.updateSupplier(
                    id, fields: try body.checked(item: false), actor: context.principal!.actorName))
        }
        group.put("suppliers/:id/items/:sku") { request, context -> SupplierResponse in
            let id = try context.pathParameter("id")
            let sku = try context.pathParameter("sku")
            let body = try await RequestDecoding.json(Input.self, from: request)
            _ = try await self.find(id)
            let fields = try body.checked(item: true)
            return SupplierResponse(
                record: try await store.updateSupplier(
                    id, sku: sku, fields: fields, actor: context.principal!.actorName))
        }
    }

    private func find(_ id: String) async throws -> SupplierRecord {
        guard let record = try await store.supplier(id) else {
            throw APIError(.notFound, "unknown_supplier", "no supplier '\(id.prefix(64))' on this node")
        }
        return record
    }
}
