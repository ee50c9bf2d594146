/// The lifecycles of orders, transfers, purchase orders and holds (sync-protocol section
/// 10.2): pure state machines that take an event and the document's current state and
/// return the ops to write, or a refusal. No database, no clock but the one passed in.
///
/// The ops come in a fixed order: the physical ops first (deltas and unavailable moves),
/// then the event. A peer that has received only part of them therefore sees units gone
/// before the promise that covered them is released, never the other way round: available
/// can only be understated in between, not overstated.
public enum DocumentLifecycle {
    /// Decides `event` against `state` (nil: no event of the document is held here).
    ///
    /// Pure and deterministic. Idempotency (the same event id again) is the caller's: the
    /// store answers a replayed event with its original result before it calls this.
    ///
    /// - Parameter now: the node's wall clock, ms since the Unix epoch (a hold may not
    ///   expire in the past).
    public static func decide(
        _ event: DocumentEvent, state: DocumentState?, now: UInt64
    )
        -> Result<[OpPayload], DocumentRefusal>
    {
        decideEvent(event, state: state, now: now).map { ops in
            // Every event of a transfer names the other end, so that both stores receive it
            // (section 4.3) and see the units in transit.
            guard event.kind == .transfer, !event.action.opens, let state, case .event(var recorded) = ops.last
            else { return ops }
            recorded.counterpart = recorded.location == state.location ? state.counterpart : state.location
            return ops.dropLast() + [.event(recorded)]
        }
    }

    private static func decideEvent(
        _ event: DocumentEvent, state: DocumentState?, now: UInt64
    )
        -> Result<[OpPayload], DocumentRefusal>
    {
        let noun = event.kind.noun
        func refuse(_ code: DocumentRefusal.Code, _ message: String) -> Result<[OpPayload], DocumentRefusal> {
            .failure(DocumentRefusal(code: code, message: message))
        }
        guard event.kind.actions.contains(event.action) else {
            return refuse(.invalid, "a \(noun) has no '\(event.action.rawValue)' event")
        }
        if let problem = DocumentRules.problem(with: event) { return refuse(.invalid, problem) }
        let known = state.flatMap { $0.opened == nil ? nil : $0 }
        if event.action.opens {
            guard known == nil else {
                return refuse(.exists, "\(noun) \(event.document) already exists; send its next event instead")
            }
            if event.kind == .hold, let expiry = event.expiresAt, expiry <= now {
                return refuse(.expiryInPast, "the hold expires in the past; give an expires_at after now")
            }
            if event.kind == .transfer, event.counterpart == event.location {
                return refuse(.invalid, "a transfer's destination must differ from its source")
            }
            return .success([.event(event)])
        }
        guard let state = known else {
            return refuse(.unknownDocument, "no \(noun) \(event.document) is known here; create it first")
        }
        guard event.location == state.actingLocation(for: event.action) else {
            return refuse(
                .invalid,
                "a '\(event.action.rawValue)' of \(noun) \(event.document) happens at \(state.actingLocation(for: event.action)), not \(event.location)"
            )
        }
        if state.terminal != nil || state.status == .collected {
            guard event.action == .resolve || event.action == .return else {
                return refuse(
                    .closed, "\(noun) \(event.document) is \(state.status.rawValue); nothing more can happen to it")
            }
        }
        for line in event.lines where state.line(line.sku) == nil {
            return refuse(.notOnDocument, "\(line.sku) is not on \(noun) \(event.document)")
        }
        switch (event.kind, event.action) {
        case (.order, .fulfil):
            if let (line, room) = beyond(event.lines, in: state, room: { $0.quantity - $0.done }, counted: \.quantity) {
                return refuse(
                    .overFulfilment,
                    "order \(event.document) has \(room) units of \(line.sku) left to fulfil, not \(line.quantity)")
            }
            return .success(moves(event.lines, at: event.location, .sale, sign: -1) + [.event(event)])
        case (.order, .cancel) where !event.lines.isEmpty:
            // A partial cancel: these units will not be fulfilled; the order stays open.
            if let (line, room) = beyond(
                event.lines, in: state, room: { $0.quantity - $0.done - $0.second }, counted: \.quantity)
            {
                return refuse(
                    .overFulfilment,
                    "order \(event.document) has \(room) units of \(line.sku) left to cancel, not \(line.quantity)")
            }
            return .success([.event(event)])
        case (.order, .cancel):
            var ops: [OpPayload] = []
            if event.restock {
                let back = state.lines.map { DocumentLine(sku: $0.sku, quantity: $0.done - $0.received) }
                ops += moves(back.filter { $0.quantity > 0 }, at: event.location, .return, sign: 1)
            }
            var recorded = event
            recorded.lines = []
            return .success(ops + [.event(recorded)])
        case (.order, .return):
            if let (line, room) = beyond(event.lines, in: state, room: { $0.done - $0.received }, counted: \.quantity) {
                return refuse(
                    .overReturn,
                    "order \(event.document) has \(room) units of \(line.sku) out to return, not \(line.quantity)")
            }
            var ops = moves(event.lines, at: event.location, .return, sign: 1)
            if !event.restock {
                ops += event.lines.map {
                    .unavailable(StockKey(sku: $0.sku, location: event.location), quantity: $0.quantity)
                }
            }
            return .success(ops + [.event(event)])
        case (.transfer, .ship):
            guard state.status == .draft else {
                return refuse(
                    .alreadyShipped,
                    "transfer \(event.document) was already shipped; receive it at \(state.counterpart ?? "the destination")"
                )
            }
            var recorded = event
            if recorded.lines.isEmpty {
                recorded.lines = state.lines.map { DocumentLine(sku: $0.sku, quantity: $0.quantity) }
            }
            for line in recorded.lines where line.quantity > (state.line(line.sku)?.quantity ?? 0) {
                return refuse(
                    .overFulfilment,
                    "transfer \(event.document) plans \(state.line(line.sku)?.quantity ?? 0) units of \(line.sku), not \(line.quantity)"
                )
            }
            return .success(moves(recorded.lines, at: event.location, .transfer, sign: -1) + [.event(recorded)])
        case (.transfer, .receive):
            guard state.status == .shipped || state.status == .partlyReceived else {
                return refuse(
                    .notShipped,
                    "transfer \(event.document) is \(state.status.rawValue); it can be received once shipped")
            }
            var ops: [OpPayload] = []
            for line in event.lines {
                let key = StockKey(sku: line.sku, location: event.location)
                ops.append(.delta(key, quantity: line.quantity + line.second, reason: .transfer))
                if line.second > 0 { ops.append(.unavailable(key, quantity: line.second)) }
            }
            return .success(ops + [.event(event)])
        case (.transfer, .cancel):
            guard state.status == .draft else {
                return refuse(
                    .alreadyShipped, "transfer \(event.document) is on the road; receive it, then close it with a note")
            }
            return .success([.event(event)])
        case (.transfer, .close):
            guard state.status != .draft else {
                return refuse(.notShipped, "transfer \(event.document) was never shipped; cancel it instead")
            }
            return .success([.event(event)])
        case (.transfer, .resolve):
            guard state.issues.contains(where: { $0.code == "transfer_discrepancy" && !$0.resolved }) else {
                return refuse(.nothingToResolve, "transfer \(event.document) has no open discrepancy")
            }
            guard event.note != nil else { return refuse(.invalid, "say why in 'note' when resolving a discrepancy") }
            return .success([.event(event)])
        case (.purchaseOrder, .send):
            guard state.status == .draft else {
                return refuse(.closed, "purchase order \(event.document) was already sent")
            }
            return .success([.event(event)])
        case (.purchaseOrder, .receive):
            guard state.status == .sent || state.status == .partlyReceived else {
                return refuse(
                    .notSent,
                    "purchase order \(event.document) is \(state.status.rawValue); send it before receiving against it")
            }
            if let (line, room) = beyond(
                event.lines, in: state, room: { $0.quantity - $0.done - $0.second },
                counted: { $0.quantity + $0.second })
            {
                return refuse(
                    .overReceipt,
                    "purchase order \(event.document) expects \(room) more units of \(line.sku), not \(line.quantity + line.second); reject the excess or add a line"
                )
            }
            // The receipt carries the unit cost (the PO line's unless the dock gave one), so the
            // cell's average cost follows from this op alone (section 10.7).
            var recorded = event
            for index in recorded.lines.indices where recorded.lines[index].unitCost == nil {
                recorded.lines[index].unitCost = state.line(recorded.lines[index].sku)?.unitCost
            }
            return .success(
                moves(event.lines.filter { $0.quantity > 0 }, at: event.location, .receive, sign: 1) + [
                    .event(recorded)
                ])
        case (.purchaseOrder, .cancel):
            guard !state.lines.contains(where: { $0.done + $0.second > 0 }) else {
                return refuse(
                    .closed, "purchase order \(event.document) has receipts; close it to release what will not come")
            }
            return .success([.event(event)])
        case (.hold, .collect):
            var recorded = event
            recorded.lines = state.lines.map { DocumentLine(sku: $0.sku, quantity: $0.quantity) }
            return .success(moves(recorded.lines, at: event.location, .sale, sign: -1) + [.event(recorded)])
        case (.order, .close), (.purchaseOrder, .close), (.hold, .release):
            return .success([.event(event)])
        default:
            return refuse(.invalid, "a \(noun) has no '\(event.action.rawValue)' event")
        }
    }

    /// The first line that moves more units than its document line has room for, with
    /// that room (never below zero).
    private static func beyond(
        _ lines: [DocumentLine], in state: DocumentState, room: (DocumentState.Line) -> Int64,
        counted: (DocumentLine) -> Int64
    ) -> (DocumentLine, Int64)? {
        for line in lines {
            let available = state.line(line.sku).map(room) ?? 0
            if counted(line) > available { return (line, max(available, 0)) }
        }
        return nil
    }

    private static func moves(
        _ lines: [DocumentLine], at location: String, _ reason: StockReason, sign: Int64
    )
        -> [OpPayload]
    {
        lines.map { .delta(StockKey(sku: $0.sku, location: location), quantity: sign * $0.quantity, reason: reason) }
    }
}

extension DocumentState {
    /// Where an event of this document must happen (rule V7 is checked against it).
    public func actingLocation(for action: DocumentAction) -> String {
        key.kind.actingLocation(for: action, location: location, counterpart: counterpart)
    }
}

/// Why a document event was refused. The code is the API's error code.
public struct DocumentRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalid = "invalid_event"
        case exists = "document_exists"
        case unknownDocument = "unknown_document"
        case closed = "document_closed"
        case notOnDocument = "not_on_document"
        case overFulfilment = "over_fulfilment"
        case overReturn = "over_return"
        case overReceipt = "over_receipt"
        case alreadyShipped = "already_shipped"
        case notShipped = "not_shipped"
        case notSent = "not_sent"
        case nothingToResolve = "nothing_to_resolve"
        case expiryInPast = "expiry_in_past"
        case insufficientAllowance = "insufficient_allowance"
        case unknownSKU = "unknown_sku"
        case eventIDReused = "event_id_reused"
        case unknownSupplier = "unknown_supplier"
        case supplierExists = "supplier_exists"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
