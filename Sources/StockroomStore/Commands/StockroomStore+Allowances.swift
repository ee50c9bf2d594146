import GRDB
public import StockroomCore

/// A channel's rights at a cell, as `GET /v1/stock/{sku}` shows them.
public struct PromiseRights: Hashable, Sendable {
    public var channel: NodeID
    public var granted: Int64
    public var promised: Int64
    /// What the channel may still promise now (rule A1).
    public var mayPromise: Int64
    /// The cell's owner (the store whose location it is).
    public var isOwner: Bool
}

extension StockroomStore {
    /// Grants `quantity` units of rights at a cell of this node to `channel` (rule A1's
    /// rights, section 10.6). Durable when it returns. Throws ``DocumentRefusal``
    /// `insufficient_allowance` when this node may not promise that many itself, and
    /// ``OpViolation`` (rule V11) when the cell is not this node's.
    public func grantAllowance(
        _ key: StockKey, to channel: NodeID, quantity: Int64, actor: String
    ) async throws
        -> [PromiseRights]
    {
        try await groupWriter.submit { db, context in
            let owner = context.nodeID
            guard SyncInterest.isLocation(key.location, of: owner) else {
                throw DocumentRefusal(
                    code: .invalid,
                    message: "only the store that holds \(key.location) grants its rights; this node is \(owner)")
            }
            let ledger = try Self.ledger(key, now: context.wallMillis(), db: db)
            let available = try Self.cellStates(key, now: context.wallMillis(), db: db).available
            if let may = Allowances.shortfall(
                node: owner, location: key.location, quantity: quantity, available: available, ledger: ledger)
            {
                throw DocumentRefusal(
                    code: .insufficientAllowance,
                    message: "\(owner) may grant at most \(may) units of \(key.sku) (what it could promise itself)")
            }
            _ = try OpApplier.appendLocal(
                .allowance(key, channel: channel, quantity: quantity), actor: actor, in: db, context: &context)
            return try Self.rights(key, owner: owner, now: context.wallMillis(), db: db)
        }
    }

    /// Gives back `quantity` units of this node's rights at a cell to the cell's owner.
    /// Throws `insufficient_allowance` when this node holds fewer unused rights.
    public func returnAllowance(_ key: StockKey, quantity: Int64, actor: String) async throws -> [PromiseRights] {
        try await groupWriter.submit { db, context in
            let me = context.nodeID
            let ledger = try Self.ledger(key, now: context.wallMillis(), db: db)
            guard ledger.free(of: me) >= quantity else {
                throw DocumentRefusal(
                    code: .insufficientAllowance,
                    message: "\(me) holds \(max(0, ledger.free(of: me))) unused units of \(key.sku) at \(key.location)")
            }
            _ = try OpApplier.appendLocal(
                .allowance(key, channel: me, quantity: -quantity), actor: actor, in: db, context: &context)
            return try Self.rights(key, owner: Self.owner(of: key.location, me: me), now: context.wallMillis(), db: db)
        }
    }

    /// Sets a top-up policy (rule A3). Replicates to every node; the cell's owner applies it.
    public func setAllowancePolicy(_ policy: AllowancePolicy, actor: String) async throws {
        try await groupWriter.submit { db, context in
            _ = try OpApplier.appendLocal(.allowancePolicy(policy), actor: actor, in: db, context: &context)
        }
    }

    public func allowancePolicies() async throws -> [AllowancePolicy] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT scope, channel, share_percent, keep FROM allowance_policies ORDER BY scope, channel"
            )
            .compactMap { row in
                guard let scope = AllowancePolicy.Scope(row[0]), let channel = NodeID(row[1]) else { return nil }
                return AllowancePolicy(scope: scope, channel: channel, sharePercent: row[2], keep: row[3])
            }
        }
    }

    /// Every channel's rights at a cell.
    public func promiseRights(_ key: StockKey) async throws -> [PromiseRights] {
        let now = wallMillis()
        let me = nodeID
        return try await read { db in
            try Self.rights(key, owner: Self.owner(of: key.location, me: me), now: now, db: db)
        }
    }

    /// The background pass over the cells touched by ops after `afterLSN` (every cell when
    /// 0), off the scan path:
    ///
    /// - rule S6: a cell whose available went below zero (a till sale, a loss or a merge ate
    ///   into units promised to orders and holds) gets an open `promised_oversold`
    ///   conflict; it closes when available is back at zero or above;
    /// - rule A3: at this node's own cells, each channel with a policy is granted what it
    ///   lacks.
    ///
    /// Everything is worked out in a read, concurrent with scans; the writer is taken only
    /// when there is something to write, for the cells concerned (each re-checked inside the
    /// transaction). Only cells that have promised units, an open conflict, or a policy can
    /// need anything, so a node that takes no orders pays one small read per call. Returns
    /// the log position it got to, for the next call. Idempotent.
    public func reconcilePromises(afterLSN: Int64) async throws -> (lastLSN: Int64, granted: Int) {
        let owner = nodeID
        let now = wallMillis()
        let plan = try await read { db -> (last: Int64, cells: [StockKey], policies: [AllowancePolicy]) in
            let last = try Int64.fetchOne(db, sql: "SELECT max(lsn) FROM ops") ?? 0
            guard last > afterLSN else { return (last, [], []) }
            let policies = try Self.policies(db)
            // Nothing promised anywhere, no conflict to close, no policy: nothing to do (a
            // store that takes no orders pays this one query).
            let anything =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM document_cells)
                            OR EXISTS (SELECT 1 FROM conflicts WHERE kind = 'promised_oversold' AND resolved_hlc IS NULL)
                        """) ?? false
            guard anything || !policies.isEmpty else { return (last, [], []) }
            var touched = Set<StockKey>()
            // Cells the stock ops since then touched that have promised units or an open
            // conflict, in one statement (a hub sees thousands of cells a second); with a
            // policy, also this node's own cells they touched.
            for row in try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT o.sku, o.location FROM ops o
                        WHERE o.lsn > ?1 AND o.location IS NOT NULL AND o.kind IN (1, 2, 7, 8)
                          AND (EXISTS (SELECT 1 FROM document_cells d WHERE d.sku = o.sku AND d.location = o.location)
                               OR EXISTS (SELECT 1 FROM conflicts c WHERE c.kind = 'promised_oversold'
                                          AND c.sku = o.sku AND c.location = o.location AND c.resolved_hlc IS NULL)
                               OR (?2 AND (o.location = ?3 OR substr(o.location, 1, length(?3) + 1) = ?3 || '/')))
                        """), arguments: [afterLSN, !policies.isEmpty, owner.rawValue])
            {
                touched.insert(StockKey(sku: row[0], location: row[1]))
            }
            if afterLSN == 0 {
                for row in try Row.fetchAll(db, sql: "SELECT sku, location FROM stock") {
                    touched.insert(StockKey(sku: row[0], location: row[1]))
                }
            }
            // An event names its lines' cells in its body, not in the sku column.
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(OpRow.selectColumns) FROM ops WHERE lsn > ? AND kind = ?"),
                arguments: [afterLSN, Int64(OpKind.event.rawValue)])
            {
                guard case .event(let event) = try OpRow.decode(row).op.payload,
                    let document = try Self.document(event.key, db: db)
                else { continue }
                for line in document.lines {
                    for location in event.locations { touched.insert(StockKey(sku: line.sku, location: location)) }
                }
            }
            var cells: [StockKey] = []
            for key in touched.sorted() where cells.count < Self.maxCellsPerPass {
                let promised =
                    try Bool.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT EXISTS (SELECT 1 FROM document_cells WHERE sku = ?1 AND location = ?2)
                                    OR EXISTS (SELECT 1 FROM conflicts WHERE kind = 'promised_oversold' AND sku = ?1
                                               AND location = ?2 AND resolved_hlc IS NULL)
                                """), arguments: [key.sku, key.location]) ?? false
                let topped = !policies.isEmpty && SyncInterest.isLocation(key.location, of: owner)
                guard promised || topped else { continue }
                if !(try Self.action(for: key, policies: policies, owner: owner, now: now, db: db).isEmpty) {
                    cells.append(key)
                }
            }
            // Too many for one transaction: the writer is held for a bounded time, and the
            // next pass starts again from here.
            return (cells.count < Self.maxCellsPerPass ? last : afterLSN, cells, policies)
        }
        guard !plan.cells.isEmpty else { return (plan.last, 0) }
        let granted = try await groupWriter.submit { db, context in
            var granted = 0
            for key in plan.cells {
                // Again inside the transaction: a write may have come between the read and now.
                let action = try Self.action(for: key, policies: plan.policies, owner: owner, now: now, db: db)
                granted += try Self.perform(action, at: key, now: now, db: db, context: &context)
            }
            return granted
        }
        return (plan.last, granted)
    }

    /// The most cells one pass writes for, so the writer is never held for long.
    static let maxCellsPerPass = 256

    static func policies(_ db: Database) throws -> [AllowancePolicy] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT scope, channel, share_percent, keep FROM allowance_policies")
        ).compactMap {
            row in
            guard let scope = AllowancePolicy.Scope(row[0]), let channel = NodeID(row[1]) else { return nil }
            return AllowancePolicy(scope: scope, channel: channel, sharePercent: row[2], keep: row[3])
        }
    }

    /// What rules S6 and A3 ask of one cell now.
    struct CellAction {
        var states: StockStates
        /// Open a `promised_oversold` conflict; or the id of the open one to close.
        var openConflict = false
        var closeConflict: Int64?
        var grants: [(channel: NodeID, quantity: Int64)] = []
        var isEmpty: Bool { !openConflict && closeConflict == nil && grants.isEmpty }
    }

    /// Works out ``CellAction`` for a cell; reads only.
    static func action(
        for key: StockKey, policies: [AllowancePolicy], owner: NodeID, now: UInt64, db: Database
    ) throws -> CellAction {
        var action = CellAction(states: try cellStates(key, now: now, db: db))
        let open = try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT id FROM conflicts WHERE kind = 'promised_oversold' AND sku = ? AND location = ?
                      AND resolved_hlc IS NULL
                    """), arguments: [key.sku, key.location])
        let promised = StockMerge.sum(action.states.committed, action.states.held)
        if action.states.available < 0, promised > 0, open == nil { action.openConflict = true }
        if let open, action.states.available >= 0 || promised == 0 { action.closeConflict = open }
        guard !policies.isEmpty, SyncInterest.isLocation(key.location, of: owner),
            let item = try ItemRecord.fetch(sku: key.sku, db: db), item.alive
        else { return action }
        var applicable: [NodeID: AllowancePolicy] = [:]
        for policy in policies {
            let fits =
                switch policy.scope {
                case .item(let sku): sku == key.sku
                case .category(let name): name == item.category
                case .chain: true
                }
            if fits, applicable[policy.channel].map({ policy.scope.rank < $0.scope.rank }) ?? true {
                applicable[policy.channel] = policy
            }
        }
        let ledger = try ledger(key, now: now, db: db)
        for policy in applicable.values.sorted(by: { $0.channel < $1.channel }) {
            let grant = Allowances.topUp(
                policy: policy, available: action.states.available, ledger: ledger, owner: owner)
            if grant > 0 { action.grants.append((policy.channel, grant)) }
        }
        return action
    }

    /// Does what ``action(for:policies:owner:now:db:)`` found, in the writer's transaction;
    /// returns the grants written.
    static func perform(
        _ action: CellAction, at key: StockKey, now: UInt64, db: Database, context: inout WriteContext
    )
        throws -> Int
    {
        let hlc = HLC(millis: now, logical: 0)
        if action.openConflict {
            let states = action.states
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO conflicts (kind, sku, location, ops, quantity, detail, detected_hlc)
                    VALUES ('promised_oversold', ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                key.sku, key.location, "promise:\(key)@\(hlc.packed)", states.available,
                "\(-states.available) promised units are not there: on hand \(states.onHand), committed \(states.committed), held \(states.held), unavailable \(states.unavailable); fulfil from elsewhere, cancel or count",
                hlc.packed,
            ])
        }
        if let open = action.closeConflict {
            try db.cachedStatement(sql: "UPDATE conflicts SET resolved_hlc = ? WHERE id = ?").execute(arguments: [
                hlc.packed, open,
            ])
        }
        for grant in action.grants {
            _ = try OpApplier.appendLocal(
                .allowance(key, channel: grant.channel, quantity: grant.quantity), actor: "system:top-up", in: db,
                context: &context)
        }
        return action.grants.count
    }

    /// The node that owns a location's rights: `me` for my locations, else the store named
    /// by the location's first segment.
    static func owner(of location: String, me: NodeID) -> NodeID {
        if SyncInterest.isLocation(location, of: me) { return me }
        return NodeID(String(location.split(separator: "/").first ?? "")) ?? me
    }

    static func ledger(_ key: StockKey, now: UInt64, db: Database) throws -> Allowances.Ledger {
        var ledger = Allowances.Ledger()
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT channel, granted FROM allowances WHERE sku = ? AND location = ?"),
            arguments: [key.sku, key.location])
        {
            if let channel = NodeID(row[0]) { ledger.granted[channel] = row[1] }
        }
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT channel, sum(quantity) FROM document_cells
                    WHERE sku = ? AND location = ? AND state = 'promised' AND channel IS NOT NULL
                      AND (expires_at IS NULL OR expires_at > ?)
                    GROUP BY channel
                    """), arguments: [key.sku, key.location, Int64(now)])
        {
            if let channel = NodeID(row[0]) { ledger.promised[channel] = row[1] }
        }
        return ledger
    }

    /// Every state of one cell, inside a transaction.
    static func cellStates(_ key: StockKey, now: UInt64, db: Database) throws -> StockStates {
        var states = StockStates()
        states.onHand =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT quantity FROM stock WHERE sku = ? AND location = ?"),
                arguments: [key.sku, key.location]) ?? 0
        states.unavailable =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT quantity FROM unavailable WHERE sku = ? AND location = ?"),
                arguments: [key.sku, key.location]) ?? 0
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT state, sum(quantity) FROM document_cells
                    WHERE sku = ? AND location = ? AND state != 'promised' AND (expires_at IS NULL OR expires_at > ?)
                    GROUP BY state
                    """), arguments: [key.sku, key.location, Int64(now)])
        {
            if let state = DocumentState.CellState(rawValue: row[0]) { states.add(row[1], to: state) }
        }
        return states
    }

    static func rights(_ key: StockKey, owner: NodeID, now: UInt64, db: Database) throws -> [PromiseRights] {
        let ledger = try ledger(key, now: now, db: db)
        let available = try cellStates(key, now: now, db: db).available
        var result = [
            PromiseRights(
                channel: owner, granted: 0, promised: ledger.promised[owner] ?? 0,
                mayPromise: ledger.ownerFree(owner: owner, available: available), isOwner: true)
        ]
        for channel in ledger.channels(besides: owner) {
            result.append(
                PromiseRights(
                    channel: channel, granted: ledger.granted[channel] ?? 0, promised: ledger.promised[channel] ?? 0,
                    mayPromise: ledger.free(of: channel), isOwner: false))
        }
        return result
    }
}
