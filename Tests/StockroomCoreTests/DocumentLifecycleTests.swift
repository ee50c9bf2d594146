import StockroomCore
import Testing

/// The lifecycles of section 10 with no database: each event gives the ops to write or a
/// refusal, and the fold of a document's events gives its status and what it adds to cells.
@Suite struct DocumentLifecycleTests {
    static let store = NodeID("store-1")!
    static let hub = NodeID("hub")!
    static let now: UInt64 = 1_800_000_000_000

    /// Runs events through decide and fold like a node does, returning the ops written.
    struct Document {
        var key: DocumentKey
        var events: [(event: DocumentEvent, stamp: Stamp)] = []
        var clock: Int64 = 1

        init(_ kind: DocumentKind, _ id: String) { key = DocumentKey(kind: kind, id: id) }

        var state: DocumentState? { events.isEmpty ? nil : DocumentState.fold(key, events: events) }

        mutating func send(
            _ event: DocumentEvent, at node: NodeID = DocumentLifecycleTests.store
        ) -> Result<
            [OpPayload], DocumentRefusal
        > {
            let result = DocumentLifecycle.decide(event, state: state, now: DocumentLifecycleTests.now)
            if case .success(let ops) = result, case .event(let recorded) = ops.last {
                clock += 1
                events.append((recorded, Stamp(hlc: HLC(millis: UInt64(clock), logical: 0), origin: node)))
            }
            return result
        }

        func event(
            _ action: DocumentAction, _ id: String, at location: String = "store-1", lines: [DocumentLine] = []
        )
            -> DocumentEvent
        {
            DocumentEvent(kind: key.kind, document: key.id, event: id, action: action, location: location, lines: lines)
        }
    }

    static func line(_ sku: String, _ quantity: Int64, _ second: Int64 = 0) -> DocumentLine {
        DocumentLine(sku: sku, quantity: quantity, second: second)
    }

    static func refusal(_ result: Result<[OpPayload], DocumentRefusal>) -> DocumentRefusal.Code? {
        if case .failure(let refusal) = result { return refusal.code }
        return nil
    }

    static func ops(_ result: Result<[OpPayload], DocumentRefusal>) -> [OpPayload] {
        (try? result.get()) ?? []
    }

    @Test func anOrderCommitsAndAFulfilmentTakesOnHandAndCommittedDownTogether() {
        var order = Document(.order, "web:1001")
        let placed = order.send(order.event(.place, "place", lines: [Self.line("A", 3), Self.line("B", 1)]))
        #expect(Self.ops(placed).count == 1)
        #expect(
            order.state!.contributions.filter { $0.state == .committed }.map(\.quantity).sorted() == [1, 3])
        let fulfilled = order.send(order.event(.fulfil, "f1", lines: [Self.line("A", 2)]))
        #expect(
            Self.ops(fulfilled).first
                == .delta(StockKey(sku: "A", location: "store-1"), quantity: -2, reason: .sale))
        #expect(order.state!.status == .partlyFulfilled)
        #expect(order.state!.contributions.first { $0.key.sku == "A" && $0.state == .committed }?.quantity == 1)
        #expect(Self.refusal(order.send(order.event(.fulfil, "f2", lines: [Self.line("A", 2)]))) == .overFulfilment)
        _ = order.send(order.event(.fulfil, "f3", lines: [Self.line("A", 1), Self.line("B", 1)]))
        #expect(order.state!.status == .fulfilled)
        #expect(order.state!.contributions.allSatisfy { $0.state == .promised })
    }

    @Test func refusalsNameWhatIsWrong() {
        var order = Document(.order, "web:1")
        #expect(Self.refusal(order.send(order.event(.fulfil, "f", lines: [Self.line("A", 1)]))) == .unknownDocument)
        _ = order.send(order.event(.place, "place", lines: [Self.line("A", 2)]))
        #expect(Self.refusal(order.send(order.event(.place, "again", lines: [Self.line("A", 2)]))) == .exists)
        #expect(Self.refusal(order.send(order.event(.fulfil, "f", lines: [Self.line("Z", 1)]))) == .notOnDocument)
        #expect(Self.refusal(order.send(order.event(.ship, "s"))) == .invalid)
        #expect(Self.refusal(order.send(order.event(.return, "r", lines: [Self.line("A", 1)]))) == .overReturn)
        _ = order.send(order.event(.cancel, "c"))
        #expect(order.state!.status == .cancelled)
        #expect(Self.refusal(order.send(order.event(.fulfil, "f", lines: [Self.line("A", 1)]))) == .closed)
        #expect(order.state!.contributions.filter { $0.state == .committed }.isEmpty)
    }

    @Test func aHoldThatExpiresInThePastIsRefusedAndAnActiveOneLapsesAtItsExpiry() {
        var hold = Document(.hold, "h1")
        var past = hold.event(.place, "place", lines: [Self.line("A", 1)])
        past.expiresAt = Self.now - 1
        #expect(Self.refusal(hold.send(past)) == .expiryInPast)
        var future = past
        future.expiresAt = Self.now + 60_000
        _ = hold.send(future)
        let held = hold.state!.contributions.first { $0.state == .held }
        #expect(held?.quantity == 1 && held?.expiresAt == Self.now + 60_000)
        let collected = hold.send(hold.event(.collect, "collect"))
        #expect(
            Self.ops(collected).first == .delta(StockKey(sku: "A", location: "store-1"), quantity: -1, reason: .sale))
        #expect(hold.state!.status == .collected)
        #expect(Self.refusal(hold.send(hold.event(.release, "release"))) == .closed)
    }

    @Test func aTransferTakesUnitsOffTheSourceAndShowsThemInTransitAtTheDestination() {
        var transfer = Document(.transfer, "T-1")
        var create = transfer.event(.create, "create", lines: [Self.line("A", 5)])
        create.counterpart = "store-2"
        _ = transfer.send(create)
        #expect(transfer.state!.status == .draft && transfer.state!.contributions.isEmpty)
        let shipped = transfer.send(transfer.event(.ship, "ship"))
        #expect(
            Self.ops(shipped).first == .delta(StockKey(sku: "A", location: "store-1"), quantity: -5, reason: .transfer))
        #expect(Self.refusal(transfer.send(transfer.event(.ship, "ship-2"))) == .alreadyShipped)
        let transit = transfer.state!.contributions.first { $0.state == .inTransit }
        #expect(transit?.key == StockKey(sku: "A", location: "store-2") && transit?.quantity == 5)
        #expect(
            Self.refusal(transfer.send(transfer.event(.receive, "r", at: "store-1", lines: [Self.line("A", 1)])))
                == .invalid)
        let received = transfer.send(transfer.event(.receive, "r1", at: "store-2", lines: [Self.line("A", 3, 1)]))
        #expect(
            Self.ops(received).prefix(2)
                == [
                    .delta(StockKey(sku: "A", location: "store-2"), quantity: 4, reason: .transfer),
                    .unavailable(StockKey(sku: "A", location: "store-2"), quantity: 1),
                ])
        #expect(transfer.state!.status == .partlyReceived)
        #expect(transfer.state!.contributions.first { $0.state == .inTransit }?.quantity == 1)
        _ = transfer.send(transfer.event(.close, "close", lines: []))
        let issue = transfer.state!.issues.first
        #expect(issue?.code == "transfer_discrepancy" && issue?.resolved == false)
        #expect(issue?.detail.contains("1 short") == true && issue?.detail.contains("1 damaged") == true)
        #expect(transfer.state!.contributions.isEmpty)
        var resolve = transfer.event(.resolve, "resolve", at: "store-2")
        #expect(Self.refusal(transfer.send(resolve)) == .invalid)  // a note is required
        resolve.note = "one unit lost in the van; claim filed"
        _ = transfer.send(resolve)
        #expect(transfer.state!.issues.first?.resolved == true)
    }

    @Test func aPurchaseOrderRaisesIncomingOnlyOnceSentAndReleasesItWhenClosed() {
        var po = Document(.purchaseOrder, "PO-1")
        var create = po.event(.create, "create", lines: [DocumentLine(sku: "A", quantity: 10, unitCost: 120)])
        create.counterpart = "acme"
        _ = po.send(create)
        #expect(po.state!.contributions.isEmpty)
        #expect(Self.refusal(po.send(po.event(.receive, "r", lines: [Self.line("A", 1)]))) == .notSent)
        _ = po.send(po.event(.send, "send"))
        #expect(po.state!.contributions.first?.quantity == 10)
        let received = po.send(po.event(.receive, "r1", lines: [Self.line("A", 6, 1)]))
        #expect(
            Self.ops(received).first == .delta(StockKey(sku: "A", location: "store-1"), quantity: 6, reason: .receive))
        #expect(po.state!.contributions.first?.quantity == 3)
        #expect(Self.refusal(po.send(po.event(.receive, "r2", lines: [Self.line("A", 4)]))) == .overReceipt)
        #expect(Self.refusal(po.send(po.event(.cancel, "c"))) == .closed)
        _ = po.send(po.event(.close, "close"))
        #expect(po.state!.status == .closed && po.state!.contributions.isEmpty)
        #expect(Self.refusal(po.send(po.event(.receive, "r3", lines: [Self.line("A", 1)]))) == .closed)
    }

    /// Rule D1: a fulfilment made at the store while the hub cancelled still counts; the
    /// cancel releases only the rest. Either order of folding gives the same document.
    @Test func aCancelConcurrentWithAFulfilmentReleasesOnlyWhatWasNotFulfilled() {
        let key = DocumentKey(kind: .order, id: "web:7")
        func event(_ action: DocumentAction, _ id: String, _ lines: [DocumentLine]) -> DocumentEvent {
            DocumentEvent(kind: .order, document: key.id, event: id, action: action, location: "store-1", lines: lines)
        }
        let place = (
            event(.place, "place", [Self.line("A", 4)]), Stamp(hlc: HLC(millis: 1, logical: 0), origin: Self.hub)
        )
        let fulfil = (
            event(.fulfil, "f", [Self.line("A", 3)]), Stamp(hlc: HLC(millis: 5, logical: 0), origin: Self.store)
        )
        let cancel = (event(.cancel, "c", []), Stamp(hlc: HLC(millis: 4, logical: 0), origin: Self.hub))
        let one = DocumentState.fold(key, events: [place, fulfil, cancel])
        let other = DocumentState.fold(key, events: [cancel, place, fulfil])
        #expect(one == other)
        #expect(one.status == .cancelled && one.line("A")?.done == 3)
        #expect(one.contributions.filter { $0.state == .committed }.isEmpty)
        #expect(one.promises.first?.quantity == 3)  // the hub's rights: 3 used, 1 back
    }

    /// Rule D2: an order opened on two nodes counts once and is reported.
    @Test func anOrderPlacedOnTwoNodesCountsOnceAndIsReported() {
        let key = DocumentKey(kind: .order, id: "pos:9")
        let first = DocumentEvent(
            kind: .order, document: key.id, event: "place", action: .place, location: "store-1",
            lines: [Self.line("A", 2)])
        let state = DocumentState.fold(
            key,
            events: [
                (first, Stamp(hlc: HLC(millis: 2, logical: 0), origin: Self.hub)),
                (first, Stamp(hlc: HLC(millis: 3, logical: 0), origin: Self.store)),
            ])
        #expect(state.line("A")?.quantity == 2)
        #expect(state.issues.map(\.code) == ["document_reopened"])
    }

    @Test func eventShapesAreCheckedBeforeAnyState() {
        var order = Document(.order, "web:1")
        var bad = order.event(.place, "place", lines: [Self.line("A", 1), Self.line("A", 2)])
        #expect(Self.refusal(order.send(bad)) == .invalid)
        bad.lines = []
        #expect(Self.refusal(order.send(bad)) == .invalid)
        bad.lines = [Self.line("A", 2_000_000)]
        #expect(Self.refusal(order.send(bad)) == .invalid)
        bad.lines = [Self.line("A", 1, 1)]
        #expect(Self.refusal(order.send(bad)) == .invalid)
    }
}
