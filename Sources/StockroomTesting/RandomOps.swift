public import StockroomCore

/// Generates plausible random ops from several origins, with gap-free seqs and causal
/// contexts that only name ops the origin could have seen: input for order-independence
/// and replay tests, and for the sync simulation.
public struct RandomOps {
    public var generator: SeededGenerator
    public let origins: [NodeID]
    public let skus: [String]
    public let locations: [String]
    private var nextSeq: [NodeID: UInt64] = [:]
    private var seen: [NodeID: VersionVector] = [:]
    private var clock: UInt64 = 1_795_000_000_000

    public init(seed: UInt64, origins: Int = 3, skus: Int = 6, locations: Int = 2) {
        generator = SeededGenerator(seed: seed)
        self.origins = (0..<origins).map { NodeID("node-\($0)")! }
        self.skus = (0..<skus).map { "SKU-\($0)" }
        self.locations = (0..<locations).map { "loc-\($0)" }
    }

    /// Lets `origin` see everything `other` has seen (as after a sync).
    public mutating func sync(_ origin: NodeID, from other: NodeID) {
        seen[origin, default: VersionVector()] = seen[origin, default: VersionVector()].merging(
            seen[other, default: VersionVector()])
    }

    /// One op from a random origin.
    public mutating func next() -> Op {
        let origin = origins.randomElement(using: &generator)!
        if Int.random(in: 0..<4, using: &generator) == 0 {
            sync(origin, from: origins.randomElement(using: &generator)!)
        }
        let seq = (nextSeq[origin] ?? 0) + 1
        nextSeq[origin] = seq
        clock += UInt64.random(in: 0...3, using: &generator)
        let skew = UInt64.random(in: 0...50, using: &generator)
        let hlc = HLC(millis: clock + skew, logical: UInt16(seq % 7))
        let sku = skus.randomElement(using: &generator)!
        let key = StockKey(sku: sku, location: locations.randomElement(using: &generator)!)
        let payload: OpPayload
        switch Int.random(in: 0..<20, using: &generator) {
        case 0..<11:
            let reason = StockReason.allCases.randomElement(using: &generator)!
            // Within the rules (OpRules): the sign fits the reason, never zero.
            let size = Int64.random(in: 1...8, using: &generator)
            let quantity: Int64 =
                switch reason.sign {
                case .removes: -size
                case .adds: size
                case .signed: Bool.random(using: &generator) ? size : -size
                }
            payload = .delta(key, quantity: quantity, reason: reason)
        case 11..<14:
            payload = .count(
                key, counted: Int64.random(in: 0...40, using: &generator), context: seen[origin] ?? VersionVector())
        case 14..<16:
            payload = .itemCreate(
                sku: sku,
                fields: FieldAssignments([
                    .name: .text("Item \(Int.random(in: 0...99, using: &generator))"), .description: .text(""),
                    .category: .text(["A", "B"].randomElement(using: &generator)!),
                    .price: .int(Int64.random(in: 1...999, using: &generator)),
                    .barcodes: .texts([]), .threshold: .null,
                ]))
        case 16..<19:
            payload = .itemUpdate(
                sku: sku,
                fields: FieldAssignments([
                    [.name, .category, .price, .threshold].randomElement(using: &generator)!: .int(
                        Int64.random(in: 0...50, using: &generator))
                ]).normalised())
        default:
            payload = .itemDelete(sku: sku)
        }
        let id = OpID(origin: origin, seq: seq)
        seen[origin, default: VersionVector()].advance(to: id)
        return Op(id: id, hlc: hlc, actor: "test", payload: payload)
    }

    public mutating func take(_ count: Int) -> [Op] { (0..<count).map { _ in next() } }
}

extension FieldAssignments {
    /// Gives text fields text values, so a random update is always well-typed.
    fileprivate func normalised() -> FieldAssignments {
        var result = FieldAssignments()
        for (field, value) in self {
            switch field {
            case .name, .category, .description: result[field] = .text("v\(value.int ?? 0)")
            default: result[field] = value
            }
        }
        return result
    }
}
