public import StockroomCore

/// A realistic stream of sale scans from one store: four tills, scan ids counting up per
/// till, a few seconds apart, over a 10,000-item catalogue (SKUs shaped like the fixture's).
/// Used by the wire-size tests and the sync benchmarks.
public enum SaleStream {
    /// Every SKU a stream may sell, as a catalogue CSV (`sku,name`): a hub must have an
    /// item before it accepts a store's stock op for it (rule V9), so the benchmarks load
    /// this first.
    public static var catalogueCSV: String {
        "sku,name\n" + (1...10_000).map { "\(sku(number: $0)),Item \($0)" }.joined(separator: "\n") + "\n"
    }

    static func sku(number: Int) -> String {
        let digits = String(number)
        return ["BEV", "DAI", "PAN", "SNA"][number % 4] + "-" + String(repeating: "0", count: 6 - digits.count) + digits
    }

    public static func ops(count: Int, seed: UInt64, origin: NodeID = NodeID("store-042")!) -> [Op] {
        var random = SeededGenerator(seed: seed)
        var clock: UInt64 = 1_795_000_000_000
        var counters = [Int](repeating: 0, count: 4)
        return (1...count).map { seq in
            let till = Int.random(in: 0..<4, using: &random)
            counters[till] += 1
            clock += UInt64.random(in: 0...2000, using: &random)
            // 10,000 SKUs: the number picks the item, the prefix follows from it.
            let sku = Self.sku(number: Int.random(in: 1...10_000, using: &random))
            return Op(
                id: OpID(origin: origin, seq: UInt64(seq)), hlc: HLC(millis: clock),
                actor: "scanner (token:k2v9q8xw1a)",
                device: "till-\(till)", scanID: "t\(till)-\(counters[till])",
                payload: .delta(StockKey(sku: sku, location: origin.rawValue), quantity: -1, reason: .sale))
        }
    }
}
