/// Shopify's webhooks for the four topics Stockroom takes (`orders/create`,
/// `orders/cancelled`, `fulfillments/create`, `refunds/create`), turned into document
/// events. Pure: the HTTP layer verifies the signature and decodes the JSON; this decides
/// what the delivery means, or why it cannot be taken.
///
/// Event ids come from Shopify's own object ids (`place`, `cancel`,
/// `fulfillment-<id>`, `refund-<id>-return`, `refund-<id>-cancel`), so a delivery Shopify
/// retries, or sends twice under two webhook ids, is recorded once.
public enum ShopifyWebhook {
    public enum Topic: String, CaseIterable, Sendable {
        case ordersCreate = "orders/create"
        case ordersCancelled = "orders/cancelled"
        case fulfillmentsCreate = "fulfillments/create"
        case refundsCreate = "refunds/create"
    }

    /// A line item as Shopify sends it (`line_items[]`, `refund_line_items[].line_item`).
    public struct LineItem: Decodable, Sendable {
        public var sku: String?
        public var quantity: Int64
        public var variantID: Int64?

        enum CodingKeys: String, CodingKey {
            case sku, quantity
            case variantID = "variant_id"
        }
    }

    /// The Order resource (orders/create, orders/cancelled).
    public struct Order: Decodable, Sendable {
        public var id: Int64
        public var lineItems: [LineItem]
        /// The POS location that took the order; null for online orders.
        public var locationID: Int64?

        enum CodingKeys: String, CodingKey {
            case id
            case lineItems = "line_items"
            case locationID = "location_id"
        }
    }

    /// The Fulfillment resource (fulfillments/create).
    public struct Fulfillment: Decodable, Sendable {
        public var id: Int64
        public var orderID: Int64
        public var status: String?
        public var lineItems: [LineItem]

        enum CodingKeys: String, CodingKey {
            case id, status
            case orderID = "order_id"
            case lineItems = "line_items"
        }
    }

    /// The Refund resource (refunds/create).
    public struct Refund: Decodable, Sendable {
        public struct Line: Decodable, Sendable {
            public var quantity: Int64
            public var restockType: String?
            public var lineItem: LineItem

            enum CodingKeys: String, CodingKey {
                case quantity
                case restockType = "restock_type"
                case lineItem = "line_item"
            }
        }

        public var id: Int64
        public var orderID: Int64
        public var refundLineItems: [Line]

        enum CodingKeys: String, CodingKey {
            case id
            case orderID = "order_id"
            case refundLineItems = "refund_line_items"
        }
    }

    /// How the shop maps to this chain (the `shopify` mapping file).
    public struct Mapping: Sendable {
        /// Shopify location id → our location.
        public var locations: [String: String]
        /// Shopify SKU → our SKU; a SKU not listed is taken as it is.
        public var skus: [String: String]
        /// Where online orders (no location) are fulfilled from.
        public var defaultLocation: String?

        public init(locations: [String: String] = [:], skus: [String: String] = [:], defaultLocation: String? = nil) {
            self.locations = locations
            self.skus = skus
            self.defaultLocation = defaultLocation
        }
    }

    /// Why a delivery cannot be taken: answered 422 and recorded; Shopify retries it, and
    /// the retry succeeds once the mapping is fixed.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var description: String { message }
    }

    public static func documentID(order: Int64) -> String { "shopify:\(order)" }

    /// Our lines for Shopify line items: mapped SKUs, quantities summed per SKU, in order.
    public static func lines(_ items: [LineItem], mapping: Mapping) throws(Problem) -> [DocumentLine] {
        var lines: [DocumentLine] = []
        for item in items where item.quantity > 0 {
            guard let shopSKU = item.sku, !shopSKU.isEmpty else {
                throw Problem(
                    code: "unmapped_sku",
                    message:
                        "a line item (variant \(item.variantID.map(String.init) ?? "?")) has no SKU; give the variant a SKU in Shopify"
                )
            }
            let sku = mapping.skus[shopSKU] ?? shopSKU
            guard InputRules.isIdentifier(sku) else {
                throw Problem(code: "unmapped_sku", message: "Shopify SKU '\(shopSKU.prefix(64))' maps to no valid SKU")
            }
            if let index = lines.firstIndex(where: { $0.sku == sku }) {
                lines[index].quantity += item.quantity
            } else {
                lines.append(DocumentLine(sku: sku, quantity: item.quantity))
            }
        }
        return lines
    }

    /// The location an order is fulfilled from.
    public static func location(of order: Order, mapping: Mapping) throws(Problem) -> String {
        if let id = order.locationID {
            guard let location = mapping.locations[String(id)] else {
                throw Problem(
                    code: "unmapped_location",
                    message:
                        "Shopify location \(id) is not in the mapping's 'locations'; add it, and Shopify's retry will go through"
                )
            }
            return location
        }
        guard let location = mapping.defaultLocation else {
            throw Problem(
                code: "unmapped_location",
                message: "an online order has no location and the mapping has no 'default_location'")
        }
        return location
    }

    /// orders/create: place the order.
    public static func placement(_ order: Order, mapping: Mapping, occurredAt: UInt64?) throws(Problem) -> DocumentEvent
    {
        let lines = try lines(order.lineItems, mapping: mapping)
        guard !lines.isEmpty else { throw Problem(code: "invalid_event", message: "the order has no line items") }
        return DocumentEvent(
            kind: .order, document: documentID(order: order.id), event: "place", action: .place,
            location: try location(of: order, mapping: mapping), lines: lines, occurredAt: occurredAt)
    }

    /// orders/cancelled: cancel what was not fulfilled (restocking of fulfilled units comes
    /// as refunds/create).
    public static func cancellation(_ order: Order, location: String) -> DocumentEvent {
        DocumentEvent(
            kind: .order, document: documentID(order: order.id), event: "cancel", action: .cancel, location: location,
            note: "cancelled in Shopify")
    }

    /// fulfillments/create with status success: fulfil those units (the caller clamps them to
    /// what is still open, so a store that scanned them out at the packing bench first is
    /// not counted twice).
    public static func fulfilment(
        _ fulfillment: Fulfillment, mapping: Mapping, location: String
    ) throws(Problem)
        -> DocumentEvent?
    {
        guard fulfillment.status == nil || fulfillment.status == "success" else { return nil }
        return DocumentEvent(
            kind: .order, document: documentID(order: fulfillment.orderID), event: "fulfillment-\(fulfillment.id)",
            action: .fulfil, location: location, lines: try lines(fulfillment.lineItems, mapping: mapping))
    }

    /// refunds/create: `return` (and `legacy_restock`) lines come back to on hand; `cancel`
    /// lines are a partial cancel of unfulfilled units; `no_restock` moves nothing.
    public static func refund(_ refund: Refund, mapping: Mapping, location: String) throws(Problem) -> [DocumentEvent] {
        let document = documentID(order: refund.orderID)
        func items(_ types: Set<String>) -> [LineItem] {
            refund.refundLineItems.filter { types.contains($0.restockType ?? "no_restock") }.map {
                LineItem(sku: $0.lineItem.sku, quantity: $0.quantity, variantID: $0.lineItem.variantID)
            }
        }
        var events: [DocumentEvent] = []
        let returned = try lines(items(["return", "legacy_restock"]), mapping: mapping)
        if !returned.isEmpty {
            events.append(
                DocumentEvent(
                    kind: .order, document: document, event: "refund-\(refund.id)-return", action: .return,
                    location: location, lines: returned, restock: true))
        }
        let cancelled = try lines(items(["cancel"]), mapping: mapping)
        if !cancelled.isEmpty {
            events.append(
                DocumentEvent(
                    kind: .order, document: document, event: "refund-\(refund.id)-cancel", action: .cancel,
                    location: location, lines: cancelled))
        }
        return events
    }
}
