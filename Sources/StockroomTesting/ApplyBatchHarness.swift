import Foundation
public import GRDB
public import StockroomCore
public import StockroomStore

/// The contract of the apply fuzzer (issue #11): any bytes, decoded as a batch and pushed
/// to, or pulled by, a real hub store, are applied or refused with a documented error;
/// never a crash; a refusal changes nothing; and `stockroom check` passes after every
/// accepted batch.
///
/// Used by the libFuzzer harness (`stockroom-fuzz-apply`, built by Tests/Fuzz/run.sh) and
/// by `ApplyFuzzCorpusTests`, which replays the committed corpus in every `make test`.
/// The store (an in-memory SQLite database with a small catalogue) lives across inputs so
/// the fuzzer can build state, and is recreated after `resetAfter` accepted ops so the
/// check stays cheap.
public final class ApplyBatchHarness: @unchecked Sendable {
    public static let skus = (0..<8).map { "SKU-\($0)" }
    private var store: StockroomStore
    private let resetAfter: Int

    public init(resetAfter: Int = 2000) throws {
        self.resetAfter = resetAfter
        store = try Self.makeStore()
    }

    static func makeStore() throws -> StockroomStore {
        try StockroomStore(writer: DatabaseQueue(), nodeID: NodeID("hub")!)
    }

    /// What became of one input.
    public enum Outcome: Equatable, Sendable {
        case accepted, refused
        /// The contract broke: what happened.
        case broken(String)
    }

    /// Returns nil when the contract holds for `bytes`, else what broke.
    public func check(_ bytes: [UInt8]) async -> String? {
        if case .broken(let problem) = await run(bytes) { return problem }
        return nil
    }

    /// Applies one input. The first byte picks the entry point (even: a push from the
    /// batch's node; odd: an answer to the hub's pull from that store); the rest is the
    /// batch, uncompressed.
    public func run(_ bytes: [UInt8]) async -> Outcome {
        do {
            if try await store.statistics().items == 0 { try await seedCatalogue() }
            guard let mode = bytes.first else { return .refused }
            let batch: SyncBatch
            do {
                batch = try BatchCodec.decode(Array(bytes.dropFirst()))
            } catch {
                return .refused  // a documented refusal: 400 malformed_batch
            }
            let before = try await store.statistics().ops
            do {
                let locations = LocationPolicy.own(batch.node)
                if mode % 2 == 0 {
                    _ = try await store.applyPushed(batch.ops, from: batch.node, locations: locations)
                } else {
                    _ = try await store.applyPulled(batch, from: batch.node, source: .store(locations: locations))
                }
            } catch {
                guard Self.isDocumented(error) else { return .broken("an undocumented refusal: \(error)") }
                let after = try await store.statistics().ops
                return after == before
                    ? .refused : .broken("a refused batch changed the log (\(before) -> \(after) ops)")
            }
            let report = try await store.verify()
            guard report.isHealthy else {
                return .broken(
                    "check fails after an accepted batch: \(report.stockMismatches) \(report.itemMismatches) \(report.stateMismatches) \(report.badOps.map(\.problem))"
                )
            }
            if try await store.statistics().ops > Int64(resetAfter) { store = try Self.makeStore() }
            return .accepted
        } catch {
            return .broken("the harness itself failed: \(error)")
        }
    }

    /// The refusals of sync-protocol section 7.
    public static func isDocumented(_ error: any Error) -> Bool {
        switch error {
        case is OpViolation, is PullAnswerViolation, is SyncRefusal, is BatchCodec.DecodingError: true
        case let error as StoreError: if case .sequenceGap = error { true } else { false }
        default: false
        }
    }

    private func seedCatalogue() async throws {
        for sku in Self.skus {
            _ = try await store.createItem(
                sku: sku, fields: FieldAssignments([.name: .text(sku), .barcodes: .texts([])]), actor: "hq")
        }
    }

    /// Seed inputs of issue #12's op kinds, as pushes from `store-1`: an order placed and
    /// fulfilled, a transfer shipped, a PO received with its cost, a hold, unavailable units,
    /// a grant, a policy, a supplier, issue #13's settings (and, odd seeds, the same as pull
    /// answers).
    public static func documentSeeds() -> [[UInt8]] {
        let node = NodeID("store-1")!
        let sku = skus[0]
        let key = StockKey(sku: sku, location: "store-1")
        func event(
            _ kind: DocumentKind, _ id: String, _ action: DocumentAction, _ lines: [DocumentLine] = [],
            counterpart: String? = nil
        )
            -> OpPayload
        {
            .event(
                DocumentEvent(
                    kind: kind, document: id, event: action.rawValue, action: action, location: "store-1",
                    counterpart: counterpart, lines: lines, expiresAt: kind == .hold ? 1_790_000_600_000 : nil))
        }
        let line = [DocumentLine(sku: sku, quantity: 2, unitCost: 125)]
        let streams: [[OpPayload]] = [
            [
                event(.order, "web:1", .place, line), .delta(key, quantity: -2, reason: .sale),
                event(.order, "web:1", .fulfil, line),
            ],
            [
                event(.transfer, "T-1", .create, line, counterpart: "store-2"),
                .delta(key, quantity: -2, reason: .transfer),
                event(.transfer, "T-1", .ship, line, counterpart: "store-2"),
            ],
            [
                .supplier(
                    SupplierAssignment(supplier: "acme", fields: [.name: .text("Acme"), .leadTimeDays: .int(3)])),
                event(.purchaseOrder, "PO-1", .create, line, counterpart: "acme"), event(.purchaseOrder, "PO-1", .send),
                .delta(key, quantity: 2, reason: .receive), event(.purchaseOrder, "PO-1", .receive, line),
            ],
            [event(.hold, "H-1", .place, [DocumentLine(sku: sku, quantity: 1)]), .unavailable(key, quantity: 1)],
            [
                .allowance(key, channel: NodeID("hub")!, quantity: 3),
                .allowancePolicy(AllowancePolicy(scope: .chain, channel: NodeID("hub")!, sharePercent: 50, keep: 2)),
            ],
            // Issue #13: setting registers (alert and reorder rules, an acknowledgement).
            [
                .setting(
                    Setting(
                        namespace: .alertRule, key: "low|*|store-1", value: "hysteresis=2;state=available;threshold=5")),
                .setting(
                    Setting(
                        namespace: .reorderRule, key: "\(sku)|store-1",
                        value: ReorderRule(min: 2, max: 9, multiple: 3).text)),
                .setting(Setting(namespace: .alertAction, key: "ep-0123456789abcdef", value: "ack=1")),
                .setting(Setting(namespace: .alertRule, key: "low|*|store-1", value: nil)),
            ],
        ]
        return streams.enumerated().flatMap { index, payloads -> [[UInt8]] in
            let ops = payloads.enumerated().map { seq, payload in
                Op(
                    id: OpID(origin: node, seq: UInt64(seq + 1)), hlc: HLC(millis: 1_790_000_000_000 + UInt64(seq)),
                    actor: "staff", device: "bench-\(index)", payload: payload)
            }
            let batch = SyncBatch(node: node, epoch: "e", cursor: UInt64(ops.count), ops: ops)
            return [[0] + BatchCodec.encode(batch), [1] + BatchCodec.encode(batch)]
        }
    }

    /// Seed inputs: honest and hostile batches of ``HostileOps`` from store `store-1`, as
    /// pushes and as pull answers.
    public static func seeds(count: Int = 64) -> [[UInt8]] {
        var hostile = HostileOps(
            seed: 11, attacker: NodeID("store-1")!, victims: [NodeID("store-2")!], skus: skus)
        return (0..<count).map { index in
            let (_, ops) = hostile.batch(next: 1, wallMillis: 1_790_000_000_000)
            let coverage = index % 4 == 3 ? hostile.forgedCoverage(held: 0) : VersionVector()
            let batch = SyncBatch(node: NodeID("store-1")!, epoch: "e", cursor: 1, coverage: coverage, ops: ops)
            return [UInt8(index % 2)] + BatchCodec.encode(batch)
        }
    }
}
