public import StockroomCore

/// A hostile peer's ops: well-formed (they encode and decode) but chosen to break the
/// rules the way issue #11's red team did — extreme numbers, other origins, wrong types,
/// `alive` assignments, far-future stamps, other stores' locations, seq gaps, reused scan
/// ids — mixed with valid ops, so some batches are accepted and the attacker's log moves.
///
/// Seeded: the same seed gives the same attack.
public struct HostileOps {
    public var generator: SeededGenerator
    public let attacker: NodeID
    public let victims: [NodeID]
    public let skus: [String]
    private var scan = 0

    public init(seed: UInt64, attacker: NodeID, victims: [NodeID], skus: [String]) {
        generator = SeededGenerator(seed: seed)
        self.attacker = attacker
        self.victims = victims
        self.skus = skus
    }

    /// What one batch attacks.
    public enum Attack: CaseIterable, Sendable {
        case valid, victimLocation, extremeQuantity, wrongSign, negativeCount, wrongType, aliveAssignment
        case farFutureCatalogue, foreignOrigin, seqGap, reusedScanID, controlCharacters, unknownSKU, emptyUpdate
    }

    /// A batch continuing the attacker's log at `next` (its seq as the receiver holds it,
    /// + 1), of 1 to 8 ops, all valid but one attacked (or all valid).
    public mutating func batch(next: UInt64, wallMillis: UInt64) -> (attack: Attack, ops: [Op]) {
        let attack = Attack.allCases.randomElement(using: &generator)!
        let count = Int.random(in: 1...8, using: &generator)
        var ops = (0..<count).map { index in validOp(seq: next + UInt64(index), wallMillis: wallMillis) }
        let target = Int.random(in: 0..<count, using: &generator)
        let victim = victims.randomElement(using: &generator)!
        let sku = skus.randomElement(using: &generator)!
        var op = ops[target]
        switch attack {
        case .valid: break
        case .victimLocation:
            op.payload = .delta(StockKey(sku: sku, location: victim.rawValue), quantity: -3, reason: .sale)
        case .extremeQuantity:
            let quantity = [Int64.max, .min, 1_000_001, -1_000_001].randomElement(using: &generator)!
            op.payload = .delta(StockKey(sku: sku, location: attacker.rawValue), quantity: quantity, reason: .adjust)
        case .wrongSign:
            op.payload = .delta(StockKey(sku: sku, location: attacker.rawValue), quantity: 5, reason: .sale)
        case .negativeCount:
            op.payload = .count(StockKey(sku: sku, location: attacker.rawValue), counted: -7, context: VersionVector())
        case .wrongType:
            let (field, value): (ItemField, FieldValue) = [
                (.price, .text("free")), (.name, .int(3)), (.threshold, .int(-1)), (.barcodes, .texts(["123"])),
                (.name, .text(String(repeating: "n", count: 5000))),
            ].randomElement(using: &generator)!
            op.payload = .itemUpdate(sku: sku, fields: FieldAssignments([field: value]))
        case .aliveAssignment:
            op.payload = .itemUpdate(
                sku: sku, fields: FieldAssignments([.alive: .int(Int64.random(in: 0...1, using: &generator))]))
        case .farFutureCatalogue:
            op.hlc = HLC(millis: 140_000_000_000_000)
            op.payload = .itemUpdate(sku: sku, fields: FieldAssignments([.name: .text("pinned for ever")]))
        case .foreignOrigin:
            op.id = OpID(origin: victim, seq: [1, 2, 1_000_000].randomElement(using: &generator)!)
            op.payload = .delta(StockKey(sku: sku, location: victim.rawValue), quantity: -1, reason: .sale)
        case .seqGap:
            op.id.seq += 5
        case .reusedScanID:
            op.scanID = "reused"
            op.device = "till-x"
            if count == 1 {  // one more op with the same scan id
                var twin = op
                twin.id.seq += 1
                ops.append(twin)
            }
            for index in ops.indices where index != target {
                ops[index].scanID = "reused"
                ops[index].device = "till-x"
            }
        case .controlCharacters:
            op.actor = "evil\u{0}\u{1b}[2J"
        case .unknownSKU:
            op.payload = .delta(
                StockKey(sku: "NOBODY-\(scan)", location: attacker.rawValue), quantity: 2, reason: .receive)
        case .emptyUpdate:
            op.payload = .itemUpdate(sku: sku, fields: FieldAssignments())
        }
        if target < ops.count { ops[target] = op }
        return (attack, ops)
    }

    /// A coverage map a hostile store might claim in a pull answer.
    public mutating func forgedCoverage(held: UInt64) -> VersionVector {
        let victim = victims.randomElement(using: &generator)!
        return Bool.random(using: &generator)
            ? VersionVector([victim: 1_000_000]) : VersionVector([attacker: held + 1_000_000])
    }

    private mutating func validOp(seq: UInt64, wallMillis: UInt64) -> Op {
        scan += 1
        let sku = skus.randomElement(using: &generator)!
        let payload: OpPayload =
            Bool.random(using: &generator)
            ? .delta(StockKey(sku: sku, location: attacker.rawValue), quantity: -1, reason: .sale)
            : .itemUpdate(
                sku: sku, fields: FieldAssignments([.price: .int(Int64.random(in: 1...999, using: &generator))]))
        return Op(
            id: OpID(origin: attacker, seq: seq), hlc: HLC(millis: wallMillis, logical: UInt16(scan % 1000)),
            actor: "attacker", device: "till-x", scanID: "x\(scan)-\(seq)", payload: payload)
    }
}
