/// Everything a node derives from its ops, in a form two nodes can compare for equality.
public struct ReplicaSnapshot: Hashable, Sendable {
    /// Per sku, the value of every register that has been assigned (including `alive`).
    public var items: [String: [ItemField: FieldValue]]
    /// Quantity per cell, for every cell any op touched.
    public var stock: [StockKey: Int64]
    /// Rule S3 conflicts as (winner, loser) pairs.
    public var concurrentCounts: Set<ConcurrentCountPair>
    /// Section 10: every document's status and lines, as folded.
    public var documents: [DocumentKey: DocumentSummary] = [:]
    /// What open documents add to cells (committed, held, incoming, in transit) and the
    /// rights their channels used (promised), with a hold's expiry: independent of the clock.
    public var documentCells: Set<DocumentCell> = []
    /// Unavailable units per cell (non-zero only).
    public var unavailable: [StockKey: Int64] = [:]
    /// Rights granted per cell and channel (non-zero only).
    public var allowances: [StockKey: [NodeID: Int64]] = [:]
    /// Top-up policies by "scope channel".
    public var policies: [String: AllowancePolicy] = [:]
    /// Costed receipts per cell (section 10.7).
    public var costs: [StockKey: CellCost] = [:]
    /// Supplier registers (section 10.8), by `supplier` or `supplier/sku`.
    public var suppliers: [String: [SupplierField: FieldValue]] = [:]
    /// Setting registers that hold a value (section 11), by `namespace/key`.
    public var settings: [String: String] = [:]

    public init(
        items: [String: [ItemField: FieldValue]] = [:], stock: [StockKey: Int64] = [:],
        concurrentCounts: Set<ConcurrentCountPair> = []
    ) {
        self.items = items
        self.stock = stock
        self.concurrentCounts = concurrentCounts
    }

    /// Cells below zero: exactly the open oversell conflicts (rule S4).
    public var negativeCells: Set<StockKey> { Set(stock.filter { $0.value < 0 }.keys) }
}

public struct ConcurrentCountPair: Hashable, Sendable {
    public var winner: OpID
    public var loser: OpID
    public init(winner: OpID, loser: OpID) {
        self.winner = winner
        self.loser = loser
    }
}

/// A document as two nodes compare it: what its fold says, without the stamps.
public struct DocumentSummary: Hashable, Sendable {
    public var status: DocumentState.Status
    public var location: String
    public var counterpart: String?
    public var lines: [DocumentState.Line]

    public init(status: DocumentState.Status, location: String, counterpart: String?, lines: [DocumentState.Line]) {
        self.status = status
        self.location = location
        self.counterpart = counterpart
        self.lines = lines.sorted { $0.sku < $1.sku }
    }

    public init(_ state: DocumentState) {
        self.init(status: state.status, location: state.location, counterpart: state.counterpart, lines: state.lines)
    }
}

/// One contribution of one document to one cell (a row of `document_cells`).
public struct DocumentCell: Hashable, Sendable {
    public var document: DocumentKey
    public var contribution: DocumentState.Contribution

    public init(document: DocumentKey, contribution: DocumentState.Contribution) {
        self.document = document
        self.contribution = contribution
    }
}

extension ReplicaSnapshot {
    /// Every state of a cell at `now` (ms): the formulas of section 10.1 over what this
    /// snapshot holds. Holds count until their expiry.
    public func states(of key: StockKey, now: UInt64) -> StockStates {
        var states = StockStates(onHand: stock[key] ?? 0, unavailable: unavailable[key] ?? 0)
        for cell in documentCells where cell.contribution.key == key && cell.contribution.state != .promised {
            if let expiry = cell.contribution.expiresAt, expiry <= now { continue }
            states.add(cell.contribution.quantity, to: cell.contribution.state)
        }
        return states
    }

    /// A cell's rights at `now` (section 10.6).
    public func ledger(of key: StockKey, now: UInt64) -> Allowances.Ledger {
        var ledger = Allowances.Ledger(granted: allowances[key] ?? [:])
        for cell in documentCells where cell.contribution.key == key && cell.contribution.state == .promised {
            if let expiry = cell.contribution.expiresAt, expiry <= now { continue }
            if let channel = cell.contribution.channel {
                ledger.promised[channel] = StockMerge.sum(ledger.promised[channel] ?? 0, cell.contribution.quantity)
            }
        }
        return ledger
    }
}
