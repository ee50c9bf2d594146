/// A document as the fold of its events (sync-protocol section 10.3): a pure function of
/// the set of events, so every node that holds the same events shows the same document
/// and derives the same committed, held, incoming and in-transit units from it.
///
/// Events are folded in stamp order (hlc, origin). An event that another one has seen sorts
/// before it (the HLC respects causality), so the order only decides between concurrent
/// events, and the rules of section 10.4 make the result the same either way:
///
/// - D1 physical events count, whatever else happened: a fulfilment, shipment or receipt
///   concurrent with a cancel or close still counts (the units did move); the cancel
///   releases only what remains.
/// - D2 the first opening event (place, create) by stamp defines the document; a later
///   one is ignored and reported as `document_reopened`.
/// - D3 the first terminal event (cancel, close) by stamp sets the final status.
/// - D4 promised or expected units are never below zero: a line fulfilled or received
///   beyond its quantity promises nothing more, and the excess is reported.
public struct DocumentState: Hashable, Sendable {
    public var key: DocumentKey
    public var status: Status
    /// The order's fulfilling location, transfer's source, PO's destination, hold's location.
    public var location: String
    /// A transfer's destination; a PO's supplier.
    public var counterpart: String?
    /// The node that placed an order or hold: the channel whose rights it used.
    public var channel: NodeID?
    public var expiresAt: UInt64?
    public var lines: [Line]
    public var opened: Stamp?
    public var terminal: Stamp?
    public var terminalNote: String?
    /// Placed as a backorder: commits units, uses no rights (section 10.6).
    public var backorder: Bool
    /// Stamp of the last receive or close of a transfer, and of its last resolve.
    public var lastSettled: Stamp?
    public var lastResolved: Stamp?
    public var resolution: String?
    /// Opening events beyond the first (rule D2).
    public var reopened: [Stamp]
    /// When a purchase order was first sent.
    public var sentAt: Stamp?
    /// The first terminal event's action.
    public var terminalAction: DocumentAction?

    public struct Line: Hashable, Sendable {
        public var sku: String
        /// Ordered, planned (transfer) or held units.
        public var quantity: Int64
        /// Fulfilled (order), shipped (transfer), received (PO and transfer, good units).
        public var done: Int64
        /// Transfer: units received; order: units returned.
        public var received: Int64
        /// Transfer: received damaged; PO: rejected at the dock.
        public var second: Int64
        public var unitCost: Int64?

        public init(sku: String, quantity: Int64) {
            self.sku = sku
            self.quantity = quantity
            done = 0
            received = 0
            second = 0
        }
    }

    public enum Status: String, Hashable, Sendable {
        /// Events arrived before the document's opening event did.
        case unknown
        case open, partlyFulfilled = "partly_fulfilled", fulfilled
        case draft, shipped, sent, partlyReceived = "partly_received", received
        case active, collected, released, expired
        case cancelled, closed
    }

    /// A state that documents contribute to a cell (``StockStates``).
    public enum CellState: String, Hashable, Sendable, CaseIterable {
        case committed, held, incoming
        case inTransit = "in_transit"
        /// Rights a channel has used at a cell (section 10.6): not a quantity state.
        case promised
    }

    /// One contribution of a document to a cell's state. A hold's lapses at `expiresAt`.
    public struct Contribution: Hashable, Sendable {
        public var key: StockKey
        public var state: CellState
        public var quantity: Int64
        public var expiresAt: UInt64?
        /// For `promised`: the channel whose rights the units used.
        public var channel: NodeID?

        public init(
            key: StockKey, state: CellState, quantity: Int64, expiresAt: UInt64? = nil, channel: NodeID? = nil
        ) {
            self.key = key
            self.state = state
            self.quantity = quantity
            self.expiresAt = expiresAt
            self.channel = channel
        }
    }

    /// Something a person must look at: listed in `/v1/conflicts`.
    public struct Issue: Hashable, Sendable {
        public var code: String
        public var sku: String?
        public var detail: String
        /// A transfer's discrepancy stays open until a `resolve` event after it.
        public var resolved: Bool
    }

    public init(key: DocumentKey) {
        self.key = key
        status = .unknown
        location = ""
        lines = []
        backorder = false
        reopened = []
    }

    /// Folds events, in any order given: they are sorted by stamp first.
    public static func fold(_ key: DocumentKey, events: [(event: DocumentEvent, stamp: Stamp)]) -> DocumentState {
        var state = DocumentState(key: key)
        for (event, stamp) in events.sorted(by: { $0.stamp < $1.stamp }) { state.apply(event, stamp: stamp) }
        return state
    }

    public func line(_ sku: String) -> Line? { lines.first { $0.sku == sku } }

    private mutating func withLine(_ sku: String, _ change: (inout Line) -> Void) {
        if let index = lines.firstIndex(where: { $0.sku == sku }) {
            change(&lines[index])
        } else {
            var line = Line(sku: sku, quantity: 0)
            change(&line)
            lines.append(line)
        }
    }

    /// Applies one event at its place in stamp order. Only ``fold(_:events:)`` calls it.
    mutating func apply(_ event: DocumentEvent, stamp: Stamp) {
        if event.action.opens {
            guard opened == nil else {
                reopened.append(stamp)  // rule D2
                return
            }
            opened = stamp
            location = event.location
            counterpart = event.counterpart
            channel = stamp.origin
            backorder = event.backorder
            expiresAt = event.expiresAt
            for line in event.lines {
                withLine(line.sku) {
                    $0.quantity = StockMerge.sum($0.quantity, line.quantity)
                    $0.unitCost = line.unitCost ?? $0.unitCost
                }
            }
        }
        switch event.action {
        case .place, .create, .send:
            break
        case .fulfil, .ship, .collect:
            for line in event.lines { withLine(line.sku) { $0.done = StockMerge.sum($0.done, line.quantity) } }
        case .receive:
            let isTransfer = key.kind == .transfer
            for line in event.lines {
                withLine(line.sku) {
                    if isTransfer {
                        $0.received = StockMerge.sum($0.received, line.quantity)
                    } else {
                        $0.done = StockMerge.sum($0.done, line.quantity)
                    }
                    $0.second = StockMerge.sum($0.second, line.second)
                    $0.unitCost = line.unitCost ?? $0.unitCost
                }
            }
            lastSettled = stamp
        case .return:
            for line in event.lines { withLine(line.sku) { $0.received = StockMerge.sum($0.received, line.quantity) } }
        case .cancel where key.kind == .order && !event.lines.isEmpty:
            // A partial cancel (section 10.2): `second` counts an order's cancelled units.
            for line in event.lines { withLine(line.sku) { $0.second = StockMerge.sum($0.second, line.quantity) } }
        case .cancel, .close, .release:
            if terminal == nil {  // rule D3
                terminal = stamp
                terminalNote = event.note
                terminalAction = event.action
            }
            if event.action == .close { lastSettled = stamp }
        case .resolve:
            lastResolved = stamp
            resolution = event.note
        }
        if event.action == .send, sentAt == nil { sentAt = stamp }
        status = derivedStatus
    }

    private var derivedStatus: Status {
        guard opened != nil else { return .unknown }
        if key.kind == .hold {
            if lines.contains(where: { $0.done > 0 }) { return .collected }
            return terminal != nil ? .released : .active
        }
        if terminal != nil { return terminalAction == .cancel ? .cancelled : .closed }
        switch key.kind {
        case .order:
            if lines.allSatisfy({ $0.done + $0.second >= $0.quantity }) {
                return lines.contains { $0.done > 0 } ? .fulfilled : .cancelled
            }
            return lines.contains { $0.done > 0 } ? .partlyFulfilled : .open
        case .transfer:
            guard lines.contains(where: { $0.done > 0 }) else { return .draft }
            if lines.allSatisfy({ $0.received + $0.second >= $0.done }) { return .received }
            return lines.contains { $0.received + $0.second > 0 } ? .partlyReceived : .shipped
        case .purchaseOrder:
            guard sentAt != nil || lines.contains(where: { $0.done + $0.second > 0 }) else { return .draft }
            if lines.allSatisfy({ $0.done + $0.second >= $0.quantity }) { return .received }
            return lines.contains { $0.done + $0.second > 0 } ? .partlyReceived : .sent
        case .hold:
            return .active
        }
    }

    /// Whether the document still promises or expects units.
    public var isOpen: Bool { opened != nil && terminal == nil && status != .collected }

    /// What this document adds to cells' states now (rule D4: never below zero), and the
    /// rights its channel has used (rule A2).
    public var contributions: [Contribution] {
        var result = promises
        guard isOpen else { return result }
        func add(_ sku: String, at location: String, _ state: CellState, _ quantity: Int64, expires: UInt64? = nil) {
            guard quantity > 0 else { return }
            result.append(
                Contribution(
                    key: StockKey(sku: sku, location: location), state: state, quantity: quantity, expiresAt: expires))
        }
        for line in lines {
            switch key.kind {
            case .order:
                add(line.sku, at: location, .committed, line.quantity - line.done - line.second)
            case .transfer:
                if let destination = counterpart {
                    add(line.sku, at: destination, .inTransit, line.done - line.received - line.second)
                }
            case .purchaseOrder:
                if status != .draft { add(line.sku, at: location, .incoming, line.quantity - line.done - line.second) }
            case .hold:
                if status == .active { add(line.sku, at: location, .held, line.quantity, expires: expiresAt) }
            }
        }
        return result
    }

    /// Rule A2: the rights an order or hold uses from its channel at its cell. Units stay
    /// used once promised, fulfilled or collected (they left); a cancel or close gives back
    /// what was never fulfilled, a release or an expiry gives back the hold. A backorder
    /// uses none.
    public var promises: [Contribution] {
        guard opened != nil, !backorder, let channel, key.kind == .order || key.kind == .hold else { return [] }
        return lines.compactMap { line in
            let used: Int64
            var expires: UInt64?
            switch (key.kind, status) {
            case (.hold, .active):
                (used, expires) = (line.quantity, expiresAt)
            case (.hold, .collected):
                used = line.quantity
            case (.hold, _):
                used = 0
            case (_, .cancelled), (_, .closed):
                used = min(line.quantity, max(0, line.done))
            default:
                used = max(0, line.quantity - line.second)
            }
            guard used > 0 else { return nil }
            return Contribution(
                key: StockKey(sku: line.sku, location: location), state: .promised, quantity: used, expiresAt: expires,
                channel: channel)
        }
    }

    /// What a person must look at (section 10.5).
    public var issues: [Issue] {
        guard opened != nil else { return [] }  // events that came before their document
        var found: [Issue] = []
        if !reopened.isEmpty {
            found.append(
                Issue(
                    code: "document_reopened", sku: nil,
                    detail:
                        "\(key.kind.noun) \(key.id) was opened \(reopened.count + 1) times on different nodes; the first one counts",
                    resolved: false))
        }
        for line in lines {
            switch key.kind {
            case .order where line.done > line.quantity:
                found.append(
                    Issue(
                        code: "over_fulfilled", sku: line.sku,
                        detail:
                            "order \(key.id): \(line.done) units of \(line.sku) fulfilled against \(line.quantity) ordered (fulfilments recorded apart)",
                        resolved: false))
            case .transfer:
                let settled = status == .received || status == .closed
                let arrived = line.received + line.second
                guard settled, arrived != line.done || line.second > 0 else { continue }
                var parts: [String] = []
                if arrived < line.done { parts.append("\(line.done - arrived) short") }
                if arrived > line.done { parts.append("\(arrived - line.done) over") }
                if line.second > 0 { parts.append("\(line.second) damaged") }
                let resolved = lastResolved.map { resolve in lastSettled.map { resolve > $0 } ?? true } ?? false
                found.append(
                    Issue(
                        code: "transfer_discrepancy", sku: line.sku,
                        detail:
                            "transfer \(key.id) to \(counterpart ?? "?"): \(line.sku) shipped \(line.done), received \(line.received) good and \(line.second) damaged (\(parts.joined(separator: ", ")))",
                        resolved: resolved))
            default:
                continue
            }
        }
        return found
    }
}
