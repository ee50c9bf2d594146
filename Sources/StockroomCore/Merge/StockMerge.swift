/// The stock merge rules of sync-protocol/README.md, as pure functions.
///
/// The quantity of a cell is a function of the set of ops for that cell only:
///
///     quantity = W.counted + Σ { d.quantity | d a delta of the cell, d.id ∉ W.context }
///
/// where W is the winning count (rule S2/S3), or 0 + Σ all deltas when there is no count
/// (rule S1). Because it depends on the set and not the order, every node that holds the
/// same ops computes the same number.
public enum StockMerge {
    /// Rule S3 ("concurrent counts"): the winning count among all counts of one cell.
    ///
    /// Candidates are the counts no other count has seen (the maximal ones); the highest
    /// (hlc, origin) among them wins. A count that another count has seen is superseded
    /// in causal order and never wins, whatever its timestamp.
    public static func winningCount(of counts: some Collection<CountRecord>) -> CountRecord? {
        var winner: CountRecord?
        for candidate in counts where !counts.contains(where: { $0.happenedAfter(candidate) }) {
            if winner.map({ candidate.stamp > $0.stamp }) ?? true { winner = candidate }
        }
        return winner
    }

    /// Rule S3's conflicts: every pair of concurrent counts of the cell, as (winner, loser)
    /// by (hlc, origin). A property of the set of ops, so every node reports the same pairs.
    public static func concurrentCountPairs(
        newCount: CountRecord, others: some Sequence<CountRecord>
    ) -> [(winner: CountRecord, loser: CountRecord)] {
        others.compactMap { other in
            guard newCount.isConcurrent(with: other) else { return nil }
            return newCount.stamp > other.stamp ? (newCount, other) : (other, newCount)
        }
    }

    /// Rule S1/S2 incrementally: the quantity after one more delta arrives.
    ///
    /// A delta inside the winning count's cut was on the shelf when it was counted, so the
    /// count already includes it and it changes nothing.
    public static func quantity(
        _ current: Int64, applyingDelta quantity: Int64, id: OpID, winningCount: CountRecord?
    ) -> Int64 {
        if let winningCount, winningCount.context.contains(id) { return current }
        return sum(current, quantity)
    }

    /// Rule S2 from scratch: the quantity given the winning count and a way to sum the
    /// deltas outside its cut (all deltas when there is no count).
    public static func quantity(
        winningCount: CountRecord?, sumOfDeltasOutside: (VersionVector) throws -> Int64
    ) rethrows -> Int64 {
        guard let winningCount else { return try sumOfDeltasOutside(VersionVector()) }
        return sum(winningCount.counted, try sumOfDeltasOutside(winningCount.context))
    }

    /// Quantity arithmetic, saturating at `Int64.min` and `Int64.max` instead of trapping or
    /// wrapping (rule S5). Validation keeps every op within ±1,000,000 units, so only a
    /// database that held bad rows before validation existed can reach the bounds; a
    /// saturated cell stays visibly absurd instead of wrapping to a plausible number.
    @inline(__always)
    public static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : result
    }

    /// Rule S4 ("negative stock flagged"): whether a change of quantity opens or closes an
    /// oversell. Only crossings are reported, so a cell that stays negative raises one
    /// conflict, not one per sale.
    public enum NegativeCrossing: Equatable, Sendable {
        case none, wentNegative, recovered
    }

    public static func negativeCrossing(from old: Int64, to new: Int64) -> NegativeCrossing {
        if old >= 0 && new < 0 { return .wentNegative }
        if old < 0 && new >= 0 { return .recovered }
        return .none
    }
}
