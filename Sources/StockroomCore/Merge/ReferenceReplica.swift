/// The merge rules computed the slow, obvious way: from the whole set of ops, every time.
///
/// This is the oracle. The database store maintains the same state incrementally; tests
/// (the replay test, the spec vectors, the sync simulation) check that both agree. Keep it
/// a direct transcription of sync-protocol/README.md, not an optimisation.
public struct ReferenceReplica: Sendable {
    public private(set) var ops: [OpID: Op] = [:]

    public init(ops: some Sequence<Op> = []) {
        for op in ops { insert(op) }
    }

    /// Adds an op; false when an op with this id is already held (duplicates are no-ops).
    @discardableResult
    public mutating func insert(_ op: Op) -> Bool {
        guard ops[op.id] == nil else { return false }
        ops[op.id] = op
        return true
    }

    public func snapshot() -> ReplicaSnapshot {
        var snapshot = ReplicaSnapshot(items: items(), stock: stock(), concurrentCounts: concurrentCounts())
        for (key, state) in documents() {
            snapshot.documents[key] = DocumentSummary(state)
            for contribution in state.contributions {
                snapshot.documentCells.insert(DocumentCell(document: key, contribution: contribution))
            }
        }
        for op in ops.values {
            switch op.payload {
            case .unavailable(let key, let quantity):
                snapshot.unavailable[key] = StockMerge.sum(snapshot.unavailable[key] ?? 0, quantity)
            case .event(let event):
                for line in CellCost.receipts(of: event) {
                    snapshot.costs[StockKey(sku: line.sku, location: event.location), default: CellCost()].add(line)
                }
            case .allowance(let key, let channel, let quantity):
                snapshot.allowances[key, default: [:]][channel] = StockMerge.sum(
                    snapshot.allowances[key]?[channel] ?? 0, quantity)
            default:
                break
            }
        }
        snapshot.unavailable = snapshot.unavailable.filter { $0.value != 0 }
        snapshot.allowances = snapshot.allowances.mapValues { $0.filter { $0.value != 0 } }.filter { !$0.value.isEmpty }
        snapshot.policies = policies()
        var supplierWinners: [String: [SupplierField: (Stamp, FieldValue)]] = [:]
        for op in ops.values {
            guard case .supplier(let assignment) = op.payload else { continue }
            let key = assignment.sku.map { "\(assignment.supplier)/\($0)" } ?? assignment.supplier
            for (field, value) in assignment.fields where supplierWinners[key]?[field].map({ op.stamp > $0.0 }) ?? true
            {
                supplierWinners[key, default: [:]][field] = (op.stamp, value)
            }
        }
        snapshot.suppliers = supplierWinners.mapValues { $0.mapValues(\.1) }
        var settingWinners: [String: (Stamp, String?)] = [:]
        for op in ops.values {
            guard case .setting(let setting) = op.payload else { continue }
            let key = "\(setting.namespace.name)/\(setting.key)"
            if settingWinners[key].map({ op.stamp > $0.0 }) ?? true { settingWinners[key] = (op.stamp, setting.value) }
        }
        snapshot.settings = settingWinners.compactMapValues(\.1)
        snapshot.costs = snapshot.costs.filter { $0.value.units != 0 }
        return snapshot
    }

    /// Section 10.3: every document, folded from all its events.
    public func documents() -> [DocumentKey: DocumentState] {
        var events: [DocumentKey: [(event: DocumentEvent, stamp: Stamp)]] = [:]
        for op in ops.values {
            if case .event(let event) = op.payload { events[event.key, default: []].append((event, op.stamp)) }
        }
        return Dictionary(uniqueKeysWithValues: events.map { ($0.key, DocumentState.fold($0.key, events: $0.value)) })
    }

    /// Rule A3's register: per (scope, channel), the policy with the highest stamp.
    public func policies() -> [String: AllowancePolicy] {
        var winners: [String: (Stamp, AllowancePolicy)] = [:]
        for op in ops.values {
            guard case .allowancePolicy(let policy) = op.payload else { continue }
            let key = "\(policy.scope) \(policy.channel)"
            if winners[key].map({ op.stamp > $0.0 }) ?? true { winners[key] = (op.stamp, policy) }
        }
        return winners.mapValues(\.1)
    }

    /// Rules C1/C2: for each sku and field, the assignment with the highest (hlc, origin).
    public func items() -> [String: [ItemField: FieldValue]] {
        var winners: [String: [ItemField: (Stamp, FieldValue)]] = [:]
        for op in ops.values {
            for (field, value) in op.payload.assignments {
                let current = winners[op.payload.sku]?[field]
                if current.map({ op.stamp > $0.0 }) ?? true {
                    winners[op.payload.sku, default: [:]][field] = (op.stamp, value)
                }
            }
        }
        return winners.mapValues { $0.mapValues(\.1) }
    }

    /// Rules S1–S3 for every cell.
    public func stock() -> [StockKey: Int64] {
        var deltas: [StockKey: [(OpID, Int64)]] = [:]
        var counts: [StockKey: [CountRecord]] = [:]
        for op in ops.values {
            switch op.payload {
            case .delta(let key, let quantity, _):
                deltas[key, default: []].append((op.id, quantity))
            case .count(let key, let counted, let context):
                counts[key, default: []].append(CountRecord(id: op.id, hlc: op.hlc, counted: counted, context: context))
            default:
                break
            }
        }
        var result: [StockKey: Int64] = [:]
        for key in Set(deltas.keys).union(counts.keys) {
            let winner = StockMerge.winningCount(of: counts[key] ?? [])
            result[key] = StockMerge.quantity(winningCount: winner) { cut in
                (deltas[key] ?? []).filter { !cut.contains($0.0) }.reduce(0) { StockMerge.sum($0, $1.1) }
            }
        }
        return result
    }

    /// Rule S3: every pair of concurrent counts of one cell.
    public func concurrentCounts() -> Set<ConcurrentCountPair> {
        var counts: [StockKey: [CountRecord]] = [:]
        for op in ops.values {
            if case .count(let key, let counted, let context) = op.payload {
                counts[key, default: []].append(CountRecord(id: op.id, hlc: op.hlc, counted: counted, context: context))
            }
        }
        var pairs: Set<ConcurrentCountPair> = []
        for records in counts.values {
            for (index, record) in records.enumerated() {
                for pair in StockMerge.concurrentCountPairs(newCount: record, others: records[(index + 1)...]) {
                    pairs.insert(ConcurrentCountPair(winner: pair.winner.id, loser: pair.loser.id))
                }
            }
        }
        return pairs
    }
}
