public import StockroomCore

/// A store's realistic day with documents (issue #12's benchmark mix): nine sales in ten
/// ops, and for the rest the orders, purchase order receipts and transfers a store records,
/// each with the delta ops its lifecycle writes beside it. Transfers go to `peer`; the
/// stream also receives the ones `peer` would ship to it (their ids follow from the seed of
/// the peer's stream, so a hub applying both streams folds whole documents).
public enum DocumentStream {
    public static func ops(count: Int, seed: UInt64, origin: NodeID, peer: NodeID) -> [Op] {
        var random = SeededGenerator(seed: seed)
        let sales = SaleStream.ops(count: count, seed: seed, origin: origin)
        var ops: [Op] = []
        ops.reserveCapacity(count + count / 10)
        var clock: UInt64 = 1_795_000_000_000
        var documents = 0
        func append(_ payload: OpPayload) {
            clock += UInt64.random(in: 0...500, using: &random)
            ops.append(
                Op(
                    id: OpID(origin: origin, seq: UInt64(ops.count + 1)), hlc: HLC(millis: clock),
                    actor: "staff (token:q7r2m4x9za)", device: "bench-1", payload: payload))
        }
        func event(
            _ kind: DocumentKind, _ document: String, _ action: DocumentAction, _ lines: [DocumentLine],
            location: String? = nil, counterpart: String? = nil
        ) -> DocumentEvent {
            DocumentEvent(
                kind: kind, document: document, event: action.rawValue, action: action,
                location: location ?? origin.rawValue, counterpart: counterpart, lines: lines)
        }
        let here = origin.rawValue
        for sale in sales {
            guard ops.count < count else { break }
            guard Int.random(in: 0..<10, using: &random) == 0 else {
                append(sale.payload)
                continue
            }
            documents += 1
            let sku = sale.payload.sku
            let line = [DocumentLine(sku: sku, quantity: 1 + Int64(documents % 3), unitCost: 95)]
            let key = StockKey(sku: sku, location: here)
            switch documents % 5 {
            case 0, 1:  // a web or click-and-collect order, placed then fulfilled at the till
                let id = "web:\(origin)-\(documents)"
                append(.event(event(.order, id, .place, line)))
                append(.delta(key, quantity: -line[0].quantity, reason: .sale))
                append(.event(event(.order, id, .fulfil, line)))
            case 2:  // a purchase order sent and received at the dock
                let id = "PO-\(origin)-\(documents)"
                append(.event(event(.purchaseOrder, id, .create, line, counterpart: "northfield")))
                append(.event(event(.purchaseOrder, id, .send, [])))
                append(.delta(key, quantity: line[0].quantity, reason: .receive))
                append(.event(event(.purchaseOrder, id, .receive, line)))
            case 3:  // a transfer to the peer store, shipped
                let id = "T-\(origin)-\(documents)"
                append(.event(event(.transfer, id, .create, line, counterpart: peer.rawValue)))
                append(.delta(key, quantity: -line[0].quantity, reason: .transfer))
                append(.event(event(.transfer, id, .ship, line, counterpart: peer.rawValue)))
            default:  // a transfer from the peer, received here
                let id = "T-\(peer)-\(documents - 1)"
                append(.delta(key, quantity: line[0].quantity, reason: .transfer))
                append(.event(event(.transfer, id, .receive, line, counterpart: peer.rawValue)))
            }
        }
        return ops
    }
}
