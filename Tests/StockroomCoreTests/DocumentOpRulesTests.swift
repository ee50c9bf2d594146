import StockroomCore
import Testing

/// Rules V10-V12 (sync-protocol 3.1) for the op kinds of issue #12: a peer's events,
/// unavailable moves, rights and supplier registers meet what the API would have let its
/// origin write, and every kind survives the wire.
@Suite struct DocumentOpRulesTests {
    static let store = NodeID("store-1")!

    static func op(_ payload: OpPayload, origin: NodeID = store) -> Op {
        Op(id: OpID(origin: origin, seq: 1), hlc: HLC(millis: 1_000), actor: "staff", payload: payload)
    }

    static func rule(_ payload: OpPayload, origin: NodeID = store, locations: LocationPolicy? = .own(store)) -> OpRule?
    {
        OpRules.check(op(payload, origin: origin), locations: locations, wallMillis: 1_000)?.rule
    }

    static func event(_ change: (inout DocumentEvent) -> Void = { _ in }) -> OpPayload {
        var event = DocumentEvent(
            kind: .order, document: "web:1", event: "place", action: .place, location: "store-1",
            lines: [DocumentLine(sku: "A", quantity: 2)])
        change(&event)
        return .event(event)
    }

    @Test func hostileEventsAreRefused() {
        #expect(Self.rule(Self.event()) == nil)
        #expect(Self.rule(Self.event { $0.document = "" }) == .event)
        #expect(Self.rule(Self.event { $0.document = String(repeating: "x", count: 130) }) == .event)
        #expect(Self.rule(Self.event { $0.event = "has\nnewline" }) == .event)
        #expect(Self.rule(Self.event { $0.action = .ship }) == .event, "an order has no ship")
        #expect(Self.rule(Self.event { $0.lines = [] }) == .event)
        #expect(Self.rule(Self.event { $0.lines = [DocumentLine(sku: "A", quantity: -1)] }) == .event)
        #expect(Self.rule(Self.event { $0.lines = [DocumentLine(sku: "A", quantity: .max)] }) == .event)
        #expect(
            Self.rule(Self.event { $0.lines = Array(repeating: DocumentLine(sku: "A", quantity: 1), count: 2) })
                == .event)
        #expect(
            Self.rule(Self.event { $0.lines = (0...200).map { DocumentLine(sku: "S\($0)", quantity: 1) } }) == .event)
        #expect(Self.rule(Self.event { $0.lines = [DocumentLine(sku: "A", quantity: 1, unitCost: -5)] }) == .event)
        #expect(Self.rule(Self.event { $0.expiresAt = .max }) == .event)
        #expect(Self.rule(Self.event { $0.location = "store-2" }) == .location, "V7 holds for events")
        #expect(
            Self.rule(
                Self.event {
                    $0.kind = .hold
                    $0.expiresAt = nil
                }) == .event, "a hold needs its expiry")
    }

    @Test func unavailableMovesKeepTheirBounds() {
        let key = StockKey(sku: "A", location: "store-1")
        #expect(Self.rule(.unavailable(key, quantity: 3)) == nil)
        #expect(Self.rule(.unavailable(key, quantity: 0)) == .quantity)
        #expect(Self.rule(.unavailable(key, quantity: .min)) == .quantity)
        #expect(Self.rule(.unavailable(StockKey(sku: "A", location: "store-9"), quantity: 1)) == .location)
    }

    @Test func supplierRegistersAreChecked() {
        func supplier(_ sku: String?, _ fields: [SupplierField: FieldValue]) -> OpPayload {
            .supplier(SupplierAssignment(supplier: "acme", sku: sku, fields: fields))
        }
        #expect(Self.rule(supplier(nil, [.name: .text("Acme"), .leadTimeDays: .int(3)])) == nil)
        #expect(Self.rule(supplier("A", [.unitCost: .int(120), .supplierSKU: .text("AC-1")])) == nil)
        #expect(Self.rule(supplier(nil, [.unitCost: .int(120)])) == .supplier, "an item's field without the item")
        #expect(Self.rule(supplier("A", [.leadTimeDays: .int(3)])) == .supplier)
        #expect(Self.rule(supplier(nil, [.leadTimeDays: .int(9999)])) == .supplier)
        #expect(Self.rule(supplier(nil, [.email: .text("no-at-sign")])) == .supplier)
        #expect(Self.rule(supplier(nil, [.name: .null])) == .supplier)
        #expect(Self.rule(supplier(nil, [:])) == .supplier)
        #expect(Self.rule(supplier(nil, [.packSize: .int(0)])) == .supplier)
    }

    /// Every new kind encodes and decodes to itself, in a version-2 batch; a version-1 batch
    /// naming one of them is malformed.
    @Test func everyNewKindRoundTripsOnTheWire() throws {
        let key = StockKey(sku: "A", location: "store-1")
        let payloads: [OpPayload] = [
            Self.event {
                $0.note = "café crème, 2 × 250 g"
                $0.occurredAt = 1_799_000_000_000
                $0.backorder = true
            },
            .event(
                DocumentEvent(
                    kind: .purchaseOrder, document: "PO-1", event: "r1", action: .receive, location: "store-1",
                    counterpart: "acme", lines: [DocumentLine(sku: "A", quantity: 4, second: 1, unitCost: 120)],
                    restock: true, expiresAt: 5)),
            .unavailable(key, quantity: -2),
            .allowance(key, channel: NodeID("hub")!, quantity: 7),
            .allowancePolicy(
                AllowancePolicy(scope: .category("Dairy & eggs"), channel: NodeID("hub")!, sharePercent: 50, keep: 2)),
            .supplier(
                SupplierAssignment(supplier: "acme", sku: "A", fields: [.unitCost: .int(120), .supplierSKU: .null])),
        ]
        let ops = payloads.enumerated().map { index, payload in
            Op(
                id: OpID(origin: Self.store, seq: UInt64(index + 1)), hlc: HLC(millis: 1_000), actor: "t",
                payload: payload)
        }
        let bytes = BatchCodec.encode(SyncBatch(node: Self.store, ops: ops))
        #expect(bytes[4] == 2, "a batch with a new kind is version 2")
        #expect(try BatchCodec.decode(bytes).ops == ops)
        var downgraded = bytes
        downgraded[4] = 1
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(downgraded) }
        let v1 = BatchCodec.encode(
            SyncBatch(node: Self.store, ops: [Self.op(.delta(key, quantity: -1, reason: .sale))]))
        #expect(v1[4] == 1, "a batch of version-1 kinds stays readable by a version-1 store")
    }
}
