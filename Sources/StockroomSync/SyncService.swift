public import Foundation
public import Logging
public import ServiceLifecycle
public import StockroomCore
import StockroomStore
import Synchronization

/// Keeps a node in sync with its hub in the background, without ever blocking scans.
///
/// It syncs when this node has written new ops of its own (within ~100 ms), and pulls at
/// least every ``pullInterval`` otherwise. While the hub is unreachable it backs off
/// exponentially with jitter (0.5 s doubling to 30 s, ±50%), so a chain's stores do not
/// reconnect in lockstep when the hub comes back. Each exchange is idempotent and atomic,
/// so a failure at any point is retried from what was committed.
public final class SyncService: Service, Sendable {
    public static let pullInterval: Duration = .seconds(1)

    /// The last things that happened, for `/v1/sync/status`.
    public struct Status: Sendable {
        public var url: String
        public var peer: String?
        public var lastSuccess: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var consecutiveFailures = 0
        public var lastRound: SyncClient.Round?
        public var pendingIn: UInt64? { lastRound?.pendingIn }
    }

    public let client: SyncClient
    private let logger: Logger
    private let ownSeqSeen = Atomic<UInt64>(0)
    private let state: Mutex<Status>
    /// Serialises rounds: the background loop and `POST /v1/sync` never run one at once.
    private let roundLock = AsyncLock()

    public init(client: SyncClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.state = Mutex(Status(url: client.baseURL))
    }

    public var status: Status { state.withLock { $0 } }

    public func run() async throws {
        var backoff = 0.5
        var lastRound = ContinuousClock.now - Self.pullInterval
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // This node wrote ops of its own since the last round: push them now. (A
            // pull-only client has nothing to push; it just pulls every interval.)
            let written = client.mode == .hub ? client.store.writeContext.nextSeq : 0
            let due =
                written != ownSeqSeen.load(ordering: .relaxed) || ContinuousClock.now - lastRound >= Self.pullInterval
            guard due else {
                await pause(.milliseconds(100))
                continue
            }
            ownSeqSeen.store(written, ordering: .relaxed)
            lastRound = ContinuousClock.now
            logger.debug("sync round", metadata: ["sync.peer": "\(client.baseURL)"])
            do {
                // Cancelled on SIGTERM: AsyncHTTPClient retries a refused connection until
                // the request's deadline, which would hold up the stop. Safe, because every
                // exchange is atomic and idempotent.
                try await cancelWhenGracefulShutdown { try await self.syncNow() }
                backoff = 0.5
            } catch {
                if Task.isShuttingDownGracefully { break }
                let delay = backoff * Double.random(in: 0.5...1.5)
                logger.info(
                    "sync failed; retrying",
                    metadata: ["sync.peer": "\(client.baseURL)", "sync.retry_s": "\(delay)", "error": "\(error)"])
                await pause(.seconds(delay))
                backoff = min(backoff * 2, 30)
            }
        }
    }

    /// Sleeps in 100 ms slices and stops early when the node is asked to stop: a backoff
    /// of 30 s must not hold up a SIGTERM.
    private func pause(_ duration: Duration) async {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end && !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
    }

    /// One round now (pull, then push). Records the outcome for status; rethrows failures.
    @discardableResult
    public func syncNow() async throws -> SyncClient.Round {
        try await roundLock.withLock {
            do {
                let (peer, round) = try await client.syncOnce()
                state.withLock {
                    $0.peer = peer.rawValue
                    $0.lastSuccess = Date()
                    $0.consecutiveFailures = 0
                    $0.lastRound = round
                }
                return round
            } catch {
                let message = "\(error)"
                state.withLock {
                    $0.lastError = message
                    $0.lastErrorAt = Date()
                    $0.consecutiveFailures += 1
                }
                if let peer = status.peer.flatMap(NodeID.init) {
                    try? await client.store.recordSyncError(message, peer: peer)
                }
                throw error
            }
        }
    }
}

/// A lock for async code: one holder at a time, waiters resume in order.
public final class AsyncLock: Sendable {
    public init() {}
    private let state = Mutex<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state -> Bool in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
        defer {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.locked = false
                    return nil
                }
                return state.waiters.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
