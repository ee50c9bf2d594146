import Foundation
import GRDB
public import StockroomCore

/// A scored movement that made the alert budget (issue #14).
public struct FlaggedMovement: Hashable, Sendable {
    public var op: OpID
    public var key: StockKey
    public var kind: String
    public var quantity: Int64
    public var occurredAt: UInt64
    public var actor: String
    public var device: String?
    public var score: Double
    /// Position among the scored movements, 1 = most unusual.
    public var rank: Int
    public var reason: String
    public var review: AnomalyReview?
}

/// What an anomaly pass looked at and found.
public struct AnomalyReport: Sendable {
    public var since: UInt64
    public var budget: Double
    /// Movements scored (in the window and place asked for).
    public var scored: Int
    /// Movements before the window the forest was fitted on.
    public var fittedOn: Int
    public var flagged: [FlaggedMovement]
}

/// Every scored movement with its features, for the bench's side-by-side with
/// scikit-learn (the same rows and features).
public struct ScoredMovement: Sendable {
    public var op: OpID
    public var millis: UInt64
    public var location: String
    public var features: [Double]
    public var score: Double
}

extension StockroomStore {
    /// The default alert budget: the share of scored movements flagged, highest scores
    /// first. 2% gives a store of 500 scored movements a week about 10 to review, which a
    /// manager can; it is also where detectors are compared in `make bench`.
    public static let defaultAnomalyBudget = 0.02
    /// Seed of the forest: the same log gives the same scores on every run and node.
    public static let anomalySeed: UInt64 = 14

    /// Scores every adjustment, damage write-off, return and count since `since` (business
    /// time, ms) at `location` (and its sub-locations), with an isolation forest fitted on
    /// the movements before `since` (without labels), and flags the top `budget` share.
    /// With fewer than 256 movements before `since`, the forest is fitted on the window
    /// itself. Read-only; deterministic.
    public func anomalies(since: UInt64, location: String?, budget: Double) async throws -> AnomalyReport {
        let (fit, scored) = try await read { db in try Self.featurise(since: since, location: location, db: db) }
        var forest = IsolationForest()
        let training = fit.count >= 256 ? fit.map(\.features) : (fit + scored).map(\.features)
        forest.fit(training, seed: Self.anomalySeed)
        var scores = scored.map { (entry: $0, score: forest.score($0.features)) }
        scores.sort { $0.score != $1.score ? $0.score > $1.score : $0.entry.event.id < $1.entry.event.id }
        let flagCount = scored.isEmpty ? 0 : max(1, Int((Double(scored.count) * budget).rounded(.up)))
        let reviews = try await settings(.anomalyReview)
        var reviewByOp: [String: AnomalyReview] = [:]
        for record in reviews {
            if let value = record.value, let review = AnomalyReview.parse(value).value {
                reviewByOp[record.key] = review
            }
        }
        let flagged = scores.prefix(flagCount).enumerated().map { rank, pair -> FlaggedMovement in
            let event = pair.entry.event
            return FlaggedMovement(
                op: event.id, key: event.key, kind: event.kind.noun, quantity: event.quantity, occurredAt: event.millis,
                actor: event.actor, device: event.device, score: pair.score, rank: rank + 1,
                reason: MovementFeaturizer.reason(
                    kind: event.kind, quantity: event.quantity, features: pair.entry.features,
                    context: pair.entry.context),
                review: reviewByOp[event.id.description])
        }
        return AnomalyReport(
            since: since, budget: budget, scored: scored.count, fittedOn: fit.count >= 256 ? fit.count : 0,
            flagged: flagged)
    }

    /// Every scored movement since `since` with its features and score (the bench's export).
    public func scoredMovements(since: UInt64) async throws -> (fitted: Int, rows: [ScoredMovement]) {
        let (fit, scored) = try await read { db in try Self.featurise(since: since, location: nil, db: db) }
        var forest = IsolationForest()
        forest.fit(fit.count >= 256 ? fit.map(\.features) : (fit + scored).map(\.features), seed: Self.anomalySeed)
        return (
            fit.count,
            scored.map {
                ScoredMovement(
                    op: $0.event.id, millis: $0.event.millis, location: $0.event.key.location, features: $0.features,
                    score: forest.score($0.features))
            }
        )
    }

    struct Featured {
        var event: LedgerEvent
        var features: [Double]
        var context: MovementFeaturizer.Context
    }

    /// One pass over the stock ops in log order; the movements before `since` (the last
    /// 100,000 of them) to fit on, and those since it at `location` to score.
    static func featurise(
        since: UInt64, location: String?, db: Database
    ) throws -> (
        fit: [Featured], scored: [Featured]
    ) {
        var prices: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sku, price_cents FROM items WHERE price_cents IS NOT NULL") {
            prices[row[0]] = row[1]
        }
        var featurizer = MovementFeaturizer()
        var fit: [Featured] = []
        var scored: [Featured] = []
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT origin, seq, kind, sku, location, quantity, reason, actor, device, hlc, occurred_at
                FROM ops WHERE kind IN (1, 2) ORDER BY lsn
                """)
        while let row = try cursor.next() {
            guard let origin = NodeID(row[0] as String) else { continue }
            let code: Int64 = row[2]
            let kind: LedgerEvent.Kind
            if code == Int64(OpKind.count.rawValue) {
                kind = .count
            } else {
                switch StockReason(code: UInt8(clamping: row[6] as Int64? ?? 0)) {
                case .sale: kind = .sale
                case .return: kind = .return
                case .receive: kind = .receive
                case .adjust: kind = .adjust
                case .damage: kind = .damage
                case .transfer, nil: kind = .transfer
                }
            }
            let sku: String = row[3]
            let device: String = row[8]
            let event = LedgerEvent(
                id: OpID(origin: origin, seq: UInt64(row[1] as Int64)),
                key: StockKey(sku: sku, location: row[4]), kind: kind, quantity: row[5],
                millis: (row[10] as Int64?).map { UInt64($0) } ?? HLC(packed: row[9]).millis, actor: row[7],
                device: device.isEmpty ? nil : device, priceCents: prices[sku] ?? 0)
            guard let (features, context) = featurizer.consume(event) else { continue }
            let entry = Featured(event: event, features: features, context: context)
            if event.millis < since {
                fit.append(entry)
                if fit.count > 200_000 { fit.removeFirst(100_000) }
            } else if location.map({ event.key.location == $0 || event.key.location.hasPrefix($0 + "/") }) ?? true {
                scored.append(entry)
            }
        }
        if fit.count > 100_000 { fit.removeFirst(fit.count - 100_000) }
        return (fit, scored)
    }

    /// Records a reviewer's verdict on a movement (an `anomaly_review` setting op, so it
    /// replicates). Throws ``StoreError`` when no such stock movement is in the log.
    @discardableResult
    public func reviewAnomaly(_ op: OpID, review: AnomalyReview, actor: String) async throws -> SettingRecord {
        let exists = try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM ops WHERE origin = ? AND seq = ? AND kind IN (1, 2))",
                arguments: [op.origin.rawValue, Int64(op.seq)]) ?? false
        }
        guard exists else { throw StoreError.invalid(field: "op", message: "no stock movement \(op) on this node") }
        return try await setSetting(
            Setting(namespace: .anomalyReview, key: op.description, value: review.text), actor: actor)
    }
}

extension AnomalyReport {
    /// One row per flagged movement, most unusual first.
    public var table: ReportTable {
        var table = ReportTable(
            name: "anomalies", from: Int64(since / 86_400_000), to: Int64(Date().timeIntervalSince1970 / 86_400),
            location: nil,
            columns: [
                .init("rank", .integer), .init("op", .text), .init("occurred_at", .text), .init("sku", .text),
                .init("location", .text), .init("kind", .text), .init("quantity", .integer), .init("actor", .text),
                .init("device", .text), .init("score", .ratio), .init("reason", .text), .init("review", .text),
            ],
            rows: flagged.map { movement in
                [
                    .integer(Int64(movement.rank)), .text(movement.op.description),
                    .text(ISODate.text(movement.occurredAt)), .text(movement.key.sku), .text(movement.key.location),
                    .text(movement.kind), .integer(movement.quantity), .text(movement.actor),
                    .text(movement.device ?? ""), .ratio(movement.score), .text(movement.reason),
                    .text(movement.review.map { "\($0.verdict.rawValue) by \($0.by)" } ?? ""),
                ]
            })
        table.notes = [
            "\(flagged.count) of \(scored) movements scored since \(ISODate.text(since)) flagged (budget \(budget * 100)%); the forest was fitted on \(fittedOn) earlier movements\(fittedOn == 0 ? " (too few: fitted on the window itself)" : "")."
        ]
        return table
    }
}

extension ReportQuery {
    /// Checks an anomaly query: `since` an ISO-8601 date or time (default 7 days ago), a
    /// budget from 0.001 to 0.5.
    public static func anomalyArguments(
        since: String?, budget: Double?
    ) throws(ArgumentProblem) -> (
        since: UInt64, budget: Double
    ) {
        let budget = budget ?? StockroomStore.defaultAnomalyBudget
        guard (0.001...0.5).contains(budget) else {
            throw ArgumentProblem("budget must be a fraction from 0.001 to 0.5 (0.02 flags 2% of movements)")
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        guard let since else { return (now - 7 * 86_400_000, budget) }
        guard let millis = ISODate.millis(since) else {
            throw ArgumentProblem("since '\(since.prefix(40))' is not an ISO-8601 date or time like 2025-03-01")
        }
        let start = since.utf8.count == 10 ? millis - 43_200_000 : millis  // a date means its midnight
        return (start, budget)
    }
}

extension StockroomStore {
    /// For the bench: every movement's features and score, fit half and scored half, keyed
    /// by the op's scan id (the history row's key, which the labels name) or op id.
    @_spi(Bench)
    public func scoredMovementsForBench(
        since: UInt64
    ) async throws -> (
        fit: [(key: String, features: [Double], score: Double)],
        scored: [(key: String, features: [Double], score: Double)]
    ) {
        let (fit, scored, keys) = try await read { db in
            let (fit, scored) = try Self.featurise(since: since, location: nil, db: db)
            var keys: [OpID: String] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT origin, seq, scan_id FROM ops WHERE kind IN (1, 2) AND scan_id IS NOT NULL")
            {
                if let origin = NodeID(row[0] as String) {
                    keys[OpID(origin: origin, seq: UInt64(row[1] as Int64))] = row[2]
                }
            }
            return (fit, scored, keys)
        }
        var forest = IsolationForest()
        forest.fit(fit.count >= 256 ? fit.map(\.features) : (fit + scored).map(\.features), seed: Self.anomalySeed)
        func rows(_ entries: [Featured]) -> [(key: String, features: [Double], score: Double)] {
            entries.map { (keys[$0.event.id] ?? $0.event.id.description, $0.features, forest.score($0.features)) }
        }
        return (rows(fit), rows(scored))
    }
}
