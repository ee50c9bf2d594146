/// The value of a cell's stock (sync-protocol section 10.7): the weighted average cost of
/// every unit received against purchase orders at the cell, times the units on hand.
///
/// The average is over all receipts (a periodic weighted average), not a running average
/// updated receipt by receipt: the running one depends on the order receipts and sales
/// arrive in, which differs between nodes; this one is a function of the set of receipts,
/// so every node shows the same value.
public struct CellCost: Hashable, Sendable {
    /// Units received with a known unit cost, and their total cost in cents.
    public var units: Int64
    public var totalCents: Int64

    public init(units: Int64 = 0, totalCents: Int64 = 0) {
        self.units = units
        self.totalCents = totalCents
    }

    /// Adds what a purchase order receipt's line brought in (received units at their cost).
    public mutating func add(_ line: DocumentLine) {
        guard line.quantity > 0, let cost = line.unitCost else { return }
        let (total, overflow) = line.quantity.multipliedReportingOverflow(by: cost)
        units = StockMerge.sum(units, line.quantity)
        totalCents = StockMerge.sum(totalCents, overflow ? .max : total)
    }

    /// Average cost per unit in cents, rounded half up; nil with no costed receipt.
    public var averageCents: Int64? {
        guard units > 0 else { return nil }
        return StockMerge.sum(totalCents, units / 2) / units
    }

    /// The value of `onHand` units at the average cost, in cents (0 for none or negative).
    public func value(onHand: Int64) -> Int64? {
        guard let average = averageCents else { return nil }
        guard onHand > 0 else { return 0 }
        let (value, overflow) = onHand.multipliedReportingOverflow(by: average)
        return overflow ? .max : value
    }

    /// The costed receipt lines of an event: a purchase order's `receive`.
    public static func receipts(of event: DocumentEvent) -> [DocumentLine] {
        event.kind == .purchaseOrder && event.action == .receive ? event.lines : []
    }
}
