import GRDB
public import StockroomCore

/// "Why is this number what it is?" for one cell (issue #14): the count that sets it, the
/// ops applied on top, what was superseded, and the document and unavailable
/// contributions of the other states.
public struct StockExplanation: Sendable {
    public struct Movement: Sendable {
        public var op: OpID
        public var kind: String
        public var quantity: Int64
        public var occurredAt: UInt64
        public var writtenAt: UInt64
        public var actor: String
        public var device: String?
    }

    public struct Contribution: Sendable {
        public var document: String
        public var state: String
        public var quantity: Int64
    }

    public var key: StockKey
    /// Business time the answer is as of (nil: now, every op held).
    public var asOf: UInt64?
    public var onHand: Int64
    /// The count that wins (rule S2), its quantity and the cut it was taken at.
    public var winningCount: Movement?
    public var winningCut: VersionVector?
    /// Deltas inside the count's cut: already in what was counted.
    public var coveredOps: Int
    public var coveredUnits: Int64
    /// Deltas after the cut, applied on top (rule S3), oldest first; at most
    /// ``maxListed`` of them (the total is in `onTopCount`).
    public var onTop: [Movement]
    public var onTopCount: Int
    public var onTopUnits: Int64
    /// Counts that lost to the winner (concurrent, or older).
    public var supersededCounts: [Movement]
    /// What documents add to committed, held, incoming and in transit, and the units set
    /// aside as unavailable (now only).
    public var contributions: [Contribution]
    public var unavailable: Int64
    public var states: StockStates?

    public static let maxListed = 200

    /// The arithmetic, in words.
    public var arithmetic: [String] {
        var lines: [String] = []
        if let count = winningCount {
            lines.append(
                "count of \(count.quantity) by \(count.actor) (op \(count.op)) sets on hand as of everything it had seen: \(coveredOps) earlier movement(s) (\(coveredUnits) units) are in it"
            )
            lines.append(
                "\(count.quantity) + \(onTopUnits) from \(onTopCount) movement(s) after the count = \(onHand) on hand")
        } else {
            lines.append("no count: on hand is the sum of \(onTopCount) movement(s) = \(onHand)")
        }
        if let states {
            lines.append(
                "available \(states.available) = on hand \(states.onHand) − committed \(states.committed) − held \(states.held) − unavailable \(states.unavailable)"
            )
            lines.append(
                "projected \(states.projected) = available + incoming \(states.incoming) + in transit \(states.inTransit)"
            )
        }
        return lines
    }
}

extension StockroomStore {
    /// Explains a cell's on hand from the op log, now or as of a business time (ms): the
    /// merge rules applied to the cell's ops with `occurred_at` at or before it. Read-only.
    public func explain(_ key: StockKey, asOf: UInt64? = nil) async throws -> StockExplanation {
        let now = wallMillis()
        return try await read { db in
            var counts: [(record: CountRecord, movement: StockExplanation.Movement)] = []
            var deltas: [StockExplanation.Movement] = []
            let rows = try Row.fetchAll(
                db,
                sql:
                    "SELECT \(OpRow.selectColumns) FROM ops WHERE sku = ? AND location = ? AND kind IN (1, 2) ORDER BY lsn",
                arguments: [key.sku, key.location])
            for row in rows {
                let op = try OpRow.decode(row).op
                if let asOf, op.businessMillis > asOf { continue }
                var movement = StockExplanation.Movement(
                    op: op.id, kind: "", quantity: 0, occurredAt: op.businessMillis, writtenAt: op.hlc.millis,
                    actor: op.actor, device: op.device)
                switch op.payload {
                case .delta(_, let quantity, let reason):
                    movement.kind = reason.rawValue
                    movement.quantity = quantity
                    deltas.append(movement)
                case .count(_, let counted, let context):
                    movement.kind = "count"
                    movement.quantity = counted
                    counts.append((CountRecord(id: op.id, hlc: op.hlc, counted: counted, context: context), movement))
                default:
                    continue
                }
            }
            let winner = StockMerge.winningCount(of: counts.map(\.record))
            var explanation = StockExplanation(
                key: key, asOf: asOf, onHand: 0, winningCount: nil, winningCut: winner?.context, coveredOps: 0,
                coveredUnits: 0, onTop: [], onTopCount: 0, onTopUnits: 0, supersededCounts: [], contributions: [],
                unavailable: 0, states: nil)
            explanation.winningCount = counts.first { $0.record.id == winner?.id }?.movement
            explanation.supersededCounts = counts.filter { $0.record.id != winner?.id }.map(\.movement)
            for delta in deltas {
                if let winner, winner.context.contains(delta.op) {
                    explanation.coveredOps += 1
                    explanation.coveredUnits = StockMerge.sum(explanation.coveredUnits, delta.quantity)
                } else {
                    explanation.onTopCount += 1
                    explanation.onTopUnits = StockMerge.sum(explanation.onTopUnits, delta.quantity)
                    if explanation.onTop.count < StockExplanation.maxListed { explanation.onTop.append(delta) }
                }
            }
            explanation.onHand = StockMerge.sum(winner?.counted ?? 0, explanation.onTopUnits)
            if asOf == nil {
                explanation.states = try Self.cellStates(key, now: now, db: db)
                explanation.unavailable = explanation.states?.unavailable ?? 0
                for row in try Row.fetchAll(
                    db,
                    sql:
                        "SELECT kind, id, state, quantity FROM document_cells WHERE sku = ? AND location = ? ORDER BY kind, id",
                    arguments: [key.sku, key.location])
                {
                    let kind = DocumentKind(code: UInt64(row[0] as Int64))
                    explanation.contributions.append(
                        .init(
                            document: "\(kind?.rawValue ?? "document"):\(row[1] as String)", state: row[2],
                            quantity: row[3]))
                }
            }
            return explanation
        }
    }
}
