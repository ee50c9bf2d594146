import Foundation
public import Logging
public import ServiceLifecycle
public import StockroomCore
public import StockroomPostgres
public import StockroomStore
import StockroomSync
import Synchronization

/// One hub process over the shared PostgreSQL log (sync-protocol/README.md, section 14.5).
///
/// PostgreSQL holds the truth: every op, once, in commit order, and the tokens. This
/// process's SQLite database is a replica of it, derived and disposable: it serves the
/// dashboard, reports and checks, and it checks each push against the same rules as on a
/// SQLite hub before the push reaches the log. The replica follows the log (``catchUp()``)
/// and sends this process's own ops (catalogue edits, documents made here) to it.
///
/// Thread-safe; ``catchUp()`` and ``forwardOwnOps()`` are serialised.
public final class HubReplica: Service, Sendable {
    public let log: PostgresHubLog
    public let store: StockroomStore
    public let identity: HubLogIdentity
    private let logger: Logger
    private let catchUpLock = AsyncLock()
    private let forwardLock = AsyncLock()
    /// Tokens this process has published, with their revocation time as published.
    private let published = Mutex<[String: Int64?]>([:])
    /// Users this process has published, with what it published of each.
    private let publishedUsers = Mutex<[String: UserRecord.Publication]>([:])
    public static let interval: Duration = .milliseconds(250)
    /// How often the replica's cut is published (section 15.4); the first time at start.
    public static let cutInterval: Duration = .seconds(5)
    private let cutPublished = Mutex<ContinuousClock.Instant?>(nil)
    private let followed = Mutex<UInt64?>(nil)

    /// The node's wall clock (ms) when this process last caught up with the log: what
    /// `/readyz` and `stockroom_hub_log_last_followed_timestamp_seconds` report. Nil
    /// before the first round.
    public var lastFollowedMillis: UInt64? { followed.withLock { $0 } }

    public init(log: PostgresHubLog, store: StockroomStore, logger: Logger) async throws {
        self.log = log
        self.store = store
        self.identity = try await log.identity()
        self.logger = logger
    }

    /// Applies what the log holds beyond the replica's cursor (kept as the sync progress
    /// with the log's hub identity, as a store keeps its cursor in its hub's log). Idempotent: ops already
    /// held (pushed here, or this process's own) are skipped by id. Returns how many ops
    /// it applied.
    @discardableResult
    public func catchUp() async throws -> Int {
        try await catchUpLock.withLock {
            var applied = 0
            while true {
                let progress = try await store.peerProgress(identity.node)
                var batch = try await log.pull(
                    epoch: progress.epoch, cursor: progress.cursor, interest: .everything, limit: 5000,
                    protocolVersion: Int(BatchCodec.version))
                if batch.ops.isEmpty && batch.cursor == progress.cursor && batch.epoch == progress.epoch {
                    return applied
                }
                // Most of what comes back was applied here already (pushed to this process,
                // or its own ops): the replica holds each origin as a prefix without gaps,
                // so those are dropped by seq before the apply reads anything for them.
                let held = store.writeContext.knowledge
                batch.ops.removeAll { $0.id.seq <= held[$0.id.origin] }
                applied += try await store.applyPulled(batch, from: identity.node, source: .hub).applied
                if !batch.more { return applied }
            }
        }
    }

    /// Appends this process's own ops that the log lacks. Returns how many it appended.
    ///
    /// Then, at most every ``cutInterval``, publishes the replica's cut as read *before*
    /// forwarding (section 15.4): every own op made before that moment is now in the log,
    /// and every own op made after has seen the cut.
    @discardableResult
    public func forwardOwnOps() async throws -> Int {
        try await forwardLock.withLock {
            let cut = store.writeContext.knowledge
            var appended = 0
            while true {
                let high = try await log.highSeq(of: store.nodeID)
                let ops = try await store.ownOps(after: high, limit: 5000)
                if ops.isEmpty { break }
                appended += try await log.appendPushed(ops, from: store.nodeID).appended
            }
            let now = ContinuousClock.now
            let due = cutPublished.withLock { last in last.map { now - $0 >= Self.cutInterval } ?? true }
            if due {
                try await log.publishCut(cut, node: store.nodeID)
                cutPublished.withLock { $0 = now }
            }
            return appended
        }
    }

    /// Appends to the log every op this replica holds beyond the log's high seq of its
    /// origin: the tail a failover took from the log after it was acknowledged (a commit
    /// that reached no synchronous standby), or a push this process checked and applied
    /// but could not append. Every such op passed the rules when it was pushed here, and
    /// appending is idempotent (H1), so this only ever restores. Returns how many ops it
    /// appended.
    @discardableResult
    public func repairLogTail() async throws -> Int {
        try await forwardLock.withLock {
            let logged = try await log.coverage()
            var appended = 0
            for (origin, held) in store.writeContext.knowledge.sortedEntries.map({ ($0.origin, $0.seq) })
            where held > logged[origin] {
                var done = logged[origin]
                while done < held {
                    let ops = try await store.ops(of: origin, after: done, limit: 5000)
                    guard !ops.isEmpty, ops[0].id.seq == done + 1 else { break }
                    let result = try await log.appendPushed(ops, from: origin)
                    appended += result.appended
                    done = result.highSeq
                }
            }
            if appended > 0 {
                logger.warning(
                    "restored ops the PostgreSQL hub log lacked from this replica",
                    metadata: ["ops": "\(appended)", "database": "\(log.database.redacted)"])
            }
            return appended
        }
    }

    /// A store's push as a hub process takes it (section 14.5): checked against this
    /// replica with exactly the SQLite hub's rules, then appended to the log; the caller
    /// acknowledges with the log's answer. The replica first takes what other processes
    /// appended when the batch does not continue what it holds of the origin, and again
    /// before refusing: an op may break a rule here only because the replica is behind
    /// the log (a scan of an item made on another process a moment ago, rule V9). Throws
    /// the refusal of the second check; nothing is appended then.
    public func acceptPush(
        _ ops: [Op], from origin: NodeID, locations: LocationPolicy
    ) async throws -> (report: RemoteApplyReport, appended: HubLogAppend) {
        if let first = ops.first?.id.seq, first > store.writeContext.knowledge[origin] + 1 { _ = try await catchUp() }
        let report: RemoteApplyReport
        do {
            report = try await store.applyPushed(ops, from: origin, locations: locations)
        } catch is OpViolation {
            _ = try await catchUp()
            report = try await store.applyPushed(ops, from: origin, locations: locations)
        }
        // Acknowledged only once the log holds the ops: that is what survives.
        return (report, try await log.appendPushed(ops, from: origin))
    }

    /// Shares tokens both ways: this process's with the log, the log's with this process.
    /// Publishes only what changed since its last publication (a chain has thousands).
    public func mirrorTokens() async throws {
        let local = try await store.storedTokens()
        let unpublished = published.withLock { published in local.filter { published[$0.id] != $0.revokedAt } }
        try await log.publishTokens(unpublished)
        published.withLock { published in for token in unpublished { published[token.id] = token.revokedAt } }
        let shared = try await log.sharedTokens()
        let known = Dictionary(local.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let news = shared.filter { known[$0.id] == nil || (known[$0.id]?.revokedAt == nil && $0.revokedAt != nil) }
        try await store.mergeTokens(news)
    }

    /// Shares dashboard users both ways, last writer wins per user (``UserRecord``): a
    /// user made, disabled or given a new password on one process holds on all within a
    /// round (1 s), and their sessions (shared in the database) end with it.
    public func mirrorUsers() async throws {
        let local = try await store.storedUsers()
        let unpublished = publishedUsers.withLock { published in
            local.filter { published[$0.name] != $0.publication }
        }
        try await log.publishUsers(unpublished)
        publishedUsers.withLock { published in for user in unpublished { published[user.name] = user.publication } }
        let known = Dictionary(local.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let news = try await log.sharedUsers().filter { shared in
            guard let mine = known[shared.name] else { return true }
            return shared.supersedes(mine) || (shared.lastSignInAt ?? 0) > (mine.lastSignInAt ?? 0)
        }
        try await store.mergeUsers(news)
    }

    /// One pass of everything, for start-up: the replica is current before the process
    /// answers its first request.
    public func syncOnce() async throws {
        try await forwardOwnOps()
        try await catchUp()
        try await mirrorTokens()
        try await mirrorUsers()
        followed.withLock { $0 = store.wallClockMillis() }
    }

    /// Follows the log every ``interval``; shares tokens every 2 s and users every 1 s. A database that is
    /// down is retried with the same pace and logged once per outage.
    public func run() async throws {
        var rounds = 0
        var failing = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await forwardOwnOps()
                try await catchUp()
                if rounds % 8 == 0 { try await mirrorTokens() }
                if rounds % 4 == 2 { try await mirrorUsers() }
                if rounds % 40 == 0 { try await repairLogTail() }
                followed.withLock { $0 = store.wallClockMillis() }
                if failing { logger.info("the PostgreSQL hub log is reachable again") }
                failing = false
            } catch {
                if Task.isShuttingDownGracefully { break }
                if !failing {
                    logger.warning(
                        "cannot follow the PostgreSQL hub log; retrying",
                        metadata: ["database": "\(log.database.redacted)", "error": "\(PostgresRetry.describe(error))"])
                }
                failing = true
            }
            rounds += 1
            try? await Task.sleep(for: Self.interval)
        }
    }
}
