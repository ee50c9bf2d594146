/// Everything a node derives from its ops, in a form two nodes can compare for equality.
public struct ReplicaSnapshot: Hashable, Sendable {
    /// Per sku, the value of every register that has been assigned (including `alive`).
    public var items: [String: [ItemField: FieldValue]]
    /// Quantity per cell, for every cell any op touched.
    public var stock: [StockKey: Int64]
    /// Rule S3 conflicts as (winner, loser) pairs.
    public var concurrentCounts: Set<ConcurrentCountPair>

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
