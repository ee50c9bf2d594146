/// Whom a pull is made from, which decides what its answer may carry (sync-protocol
/// README, section 4.4).
public enum PullSource: Hashable, Sendable {
    /// An edge pulling from its hub: the hub relays every origin's ops that concern the
    /// edge, and reports coverage of every origin. The hub's own ops may write anywhere;
    /// relayed ops were held to the location rule when they entered the chain at the hub.
    case hub
    /// A hub pulling from a store it can reach (`--peer`): the answer may carry only the
    /// store's own ops and coverage of the store's own origin, exactly what a push from
    /// that store may carry. `locations` is the store's grant (rule V7).
    case store(locations: LocationPolicy)

    /// The location policy of each origin in an answer from `peer`.
    public func locations(peer: NodeID) -> (NodeID) -> LocationPolicy? {
        switch self {
        case .hub: { origin in origin == peer ? .anywhere : nil }
        case .store(let locations): { _ in locations }
        }
    }
}

/// Why a pull answer was refused whole.
public struct PullAnswerViolation: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The rules a pull answer meets before anything of it is applied. A hub that pulls from
/// stores trusts them no more than it trusts their pushes.
public enum PullAnswerRules {
    /// Checks what an answer claims about origins and coverage. Returns nil when it may be
    /// applied (its ops still meet ``OpRules`` as they are applied).
    ///
    /// - Parameter held: the puller's coverage of `peer` before this answer.
    public static func check(
        _ batch: SyncBatch, from peer: NodeID, source: PullSource, held: UInt64
    ) -> PullAnswerViolation? {
        guard batch.node == peer else {
            return PullAnswerViolation("the answer is from '\(batch.node)', the peer is '\(peer)'")
        }
        guard case .store = source else { return nil }
        if let foreign = batch.ops.first(where: { $0.id.origin != peer }) {
            return PullAnswerViolation(
                "store '\(peer)' answered with op \(foreign.id) of another origin; a store may serve only its own ops")
        }
        if let foreign = batch.coverage.sortedEntries.first(where: { $0.origin != peer }) {
            return PullAnswerViolation(
                "store '\(peer)' claimed coverage of '\(foreign.origin)'; a store may report only its own origin")
        }
        // A store's own ops all concern its puller, so it cannot cover more of its log than
        // it has sent: coverage past that would make the hub drop its next real ops as
        // duplicates.
        let sent = max(held, batch.ops.last?.id.seq ?? 0)
        if batch.coverage[peer] > sent {
            return PullAnswerViolation(
                "store '\(peer)' claimed coverage \(batch.coverage[peer]) of its own log but sent ops up to \(sent) only"
            )
        }
        return nil
    }

    /// Rule: a peer that answers "more" must have moved its cursor; one that never does
    /// would keep the pull loop spinning for ever. `sent` is the (epoch, cursor) the
    /// puller sent.
    public static func checkProgress(
        _ batch: SyncBatch, sentEpoch: String, sentCursor: UInt64
    )
        -> PullAnswerViolation?
    {
        guard batch.more else { return nil }
        if batch.epoch == sentEpoch && batch.cursor <= sentCursor {
            return PullAnswerViolation(
                "'\(batch.node)' answered 'more' without moving its cursor past \(sentCursor); stopping this round")
        }
        return nil
    }
}
