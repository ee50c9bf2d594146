public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import StockroomCore
public import StockroomStore
import Synchronization

/// One side of sync with one peer (the hub), over HTTP: pull what concerns us, push our
/// own ops. Every exchange is idempotent, so any of them may be retried after any failure.
public final class SyncClient: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var status: Int?
        public var code: String?
        public var description: String

        public init(status: Int? = nil, code: String? = nil, description: String) {
            self.status = status
            self.code = code
            self.description = description
        }
    }

    /// Figures of the last round, for `/v1/sync/status`.
    public struct Round: Sendable {
        public var pulled = 0
        public var pushed = 0
        public var rawBytes = 0
        public var wireBytes = 0
        /// Log positions the peer had beyond our cursor when the round ended: an upper
        /// bound on the ops still to pull (some positions do not concern us).
        public var pendingIn: UInt64?
    }

    /// `hub`: an edge syncing with its hub (pull, then push its own ops).
    /// `pullOnly`: a hub pulling a store's own ops from a store it can reach.
    public enum Mode: Sendable { case hub, pullOnly }

    public let store: StockroomStore
    /// The peer's URLs: one, or several hub processes behind no load balancer. Sync goes to
    /// one at a time and moves to the next when it cannot be reached or answers 502-504.
    public let baseURLs: [String]
    private let current = Atomic<Int>(0)
    /// The URL in use.
    public var baseURL: String { baseURLs[current.load(ordering: .relaxed) % baseURLs.count] }
    public let mode: Mode
    private let token: String
    private let http: HTTPClient
    private let logger: Logger
    /// Extra locations each store may write (rule V7), for a hub pulling from stores.
    private let locationGrants: [NodeID: Set<String>]
    /// A batch on the wire: the encoding of section 5, raw-deflated.
    public static let batchContentType = "application/vnd.stockroom.batch+deflate"
    /// The serving node's wall clock in milliseconds, on push and pull answers (rule T2).
    public static let timeHeader = "Stockroom-Time"
    public static let pushBatch = 5000
    public static let pullBatch = 5000
    /// On a snapshot pull's answer: how many deltas rule K1 left out of this batch.
    public static let omittedHeader = "Stockroom-Snapshot-Omitted"
    /// On the last page of a pull: the hub's stable cut for rule K2 (section 15.3).
    public static let stableCutHeader = "Stockroom-Stable-Cut"

    public init(
        store: StockroomStore, baseURL: String, token: String, mode: Mode = .hub, http: HTTPClient = .shared,
        locationGrants: [NodeID: Set<String>] = [:], logger: Logger
    ) {
        self.locationGrants = locationGrants
        self.store = store
        self.mode = mode
        self.baseURLs = baseURL.split(separator: ",").map { $0.hasSuffix("/") ? String($0.dropLast()) : String($0) }
        self.token = token
        self.http = http
        self.logger = logger
    }

    /// Pulls until the peer has nothing more, then pushes until it has everything of ours.
    /// Returns the peer's node id and what moved. Throws ``Failure`` or a transport error;
    /// what was applied before the failure stays applied (each batch is atomic).
    @discardableResult
    public func syncOnce() async throws -> (peer: NodeID, round: Round) {
        var round = Round()
        var peer: NodeID?
        // Which node answers at this URL, remembered so a restart resumes its cursor.
        let peerKey = mode == .hub ? "hub_node" : "peer_url:\(baseURLs.joined(separator: ","))"
        var knownPeer = try await store.knownPeer(key: peerKey)
        // A blank store asks for a snapshot (section 15.2) until its first pull ends.
        let snapshot = mode == .hub ? try await store.wantsSnapshot() : false
        var omitted = 0
        while true {
            var progress = StockroomStore.PeerProgress()
            if let knownPeer { progress = try await store.peerProgress(knownPeer) }
            let request = try JSONEncoder().encode(
                PullRequest(
                    node: store.nodeID.rawValue, epoch: progress.epoch, cursor: progress.cursor, maxOps: Self.pullBatch,
                    snapshot: snapshot ? true : nil)
            )
            let (body, headers) = try await exchange(
                path: "/v1/sync/pull", contentType: "application/json", body: Array(request))
            round.wireBytes += body.count
            let raw = try WireCompression.decompress(body)
            round.rawBytes += raw.count
            let sentDigest = headers.first(name: WireCompression.digestHeader)
            if let damage = WireCompression.digestMismatch(raw, sent: sentDigest) {
                throw Failure(code: "digest_mismatch", description: "a pulled page: \(damage); it is fetched again")
            }
            if snapshot, sentDigest == nil {
                throw Failure(
                    code: "invalid_answer", description: "a snapshot page came without its SHA-256 (section 5.1)")
            }
            let batch = try BatchCodec.decode(raw)
            if mode == .pullOnly, let knownPeer, knownPeer != batch.node {
                // The node behind a --peer URL is learnt on first contact and pinned: a
                // store that starts answering as another node is lying or misconfigured.
                throw Failure(
                    code: "peer_changed",
                    description:
                        "the peer at \(baseURL) answered as '\(batch.node)', it was '\(knownPeer)'; check the --peer URL"
                )
            }
            if let violation = PullAnswerRules.checkProgress(
                batch, sentEpoch: progress.epoch, sentCursor: progress.cursor)
            {
                throw Failure(code: "invalid_answer", description: violation.message)
            }
            if knownPeer != batch.node {
                try await store.rememberPeer(batch.node, key: peerKey)
                knownPeer = batch.node
            }
            peer = batch.node
            let source: PullSource =
                mode == .hub ? .hub : .store(locations: .store(batch.node, grants: locationGrants))
            do {
                round.pulled += try await store.applyPulled(batch, from: batch.node, source: source).applied
            } catch let violation as PullAnswerViolation {
                throw Failure(code: "invalid_answer", description: violation.message)
            } catch let violation as OpViolation {
                throw Failure(code: "invalid_op", description: "\(batch.node) sent \(violation)")
            }
            omitted += headers.first(name: Self.omittedHeader).flatMap(Int.init) ?? 0
            // Recorded after the page that reached the end is applied: a crash before
            // keeps the older cut, which stays true (section 15.3).
            if !batch.more, mode == .hub, let text = headers.first(name: Self.stableCutHeader),
                let cut = VersionVector(compactText: text)
            {
                try await store.recordStableCut(cut, epoch: batch.epoch)
            }
            if let end = headers.first(name: "Stockroom-Log-End").flatMap(UInt64.init) {
                round.pendingIn = end - min(end, batch.cursor)
            }
            logger.debug("sync applied pulled batch", metadata: ["sync.ops": "\(batch.ops.count)"])
            if !batch.more { break }
        }
        guard let peer else { throw Failure(description: "the peer sent no batch") }
        // The pull reached the end of the hub's log: every op the hub holds under our
        // name, and its coverage of our origin, is here (section 15.1).
        if mode == .hub, try await store.endRecovery() {
            logger.notice(
                "recovered this node's history from its hub; local writes are open again",
                metadata: [
                    "sync.peer": "\(peer)", "sync.next_seq": "\(store.writeContext.nextSeq)",
                    "sync.snapshot": "\(snapshot)", "sync.history_left_at_hub": "\(omitted)",
                ])
        }
        while mode == .hub {
            let progress = try await store.peerProgress(peer)
            let ops = try await store.ownOps(after: progress.pushedSeq, limit: Self.pushBatch)
            if ops.isEmpty { break }
            let raw = BatchCodec.encode(SyncBatch(node: store.nodeID, ops: ops))
            let wire = WireCompression.compress(raw)
            round.rawBytes += raw.count
            round.wireBytes += wire.count
            do {
                let reply = try await send(
                    path: "/v1/sync/push", contentType: Self.batchContentType, body: wire,
                    digest: WireCompression.digest(raw))
                let answer = try JSONDecoder().decode(PushResponse.self, from: Data(reply))
                round.pushed += answer.applied
                try await store.recordPushed(to: peer, seq: answer.highSeq)
            } catch let failure as Failure where failure.code == "sequence_gap" {
                // The peer lost ops of ours (a restored backup): start over; it skips what it has.
                logger.warning("peer lost our ops; pushing again from the start", metadata: ["sync.peer": "\(peer)"])
                try await store.resetPushed(to: peer)
            }
        }
        if round.pulled + round.pushed > 0 {
            try await store.recordRound(
                with: peer, rawBytes: round.rawBytes, wireBytes: round.wireBytes, pendingIn: round.pendingIn)
        }
        return (peer, round)
    }

    private func send(path: String, contentType: String, body: [UInt8], digest: String? = nil) async throws -> [UInt8] {
        try await exchange(path: path, contentType: contentType, body: body, digest: digest).body
    }

    private func exchange(
        path: String, contentType: String, body: [UInt8], digest: String? = nil
    ) async throws -> (
        body: [UInt8], headers: HTTPHeaders
    ) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let digest { request.headers.add(name: WireCompression.digestHeader, value: digest) }
        request.headers.add(name: "Stockroom-Sync-Version", value: String(SyncMessages.protocolVersion))
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        logger.debug("sync request", metadata: ["sync.path": "\(path)", "sync.bytes": "\(body.count)"])
        // 10 s: a batch is tens of kilobytes; past that the peer is unreachable (and
        // AsyncHTTPClient retries a refused connection until this deadline).
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(10))
        } catch {
            rotate()
            throw error
        }
        if [502, 503, 504].contains(response.status.code) { rotate() }
        logger.debug("sync response", metadata: ["sync.path": "\(path)", "sync.status": "\(response.status.code)"])
        // Rule T2: the hub's time, on every push and pull answer.
        if mode == .hub, let time = response.headers.first(name: Self.timeHeader).flatMap(Int64.init) {
            adoptHubClock(time)
        }
        let bytes = Array(try await response.body.collect(upTo: WireCompression.maxCompressedBytes).readableBytesView)
        guard response.status == .ok else {
            let json =
                (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["error"] as? [String: Any]
            throw Failure(
                status: Int(response.status.code), code: json?["code"] as? String,
                description: "\(path): \(response.status.code) \(json?["message"] as? String ?? "")")
        }
        return (bytes, response.headers)
    }

    /// The next URL, for the next attempt (the service backs off between attempts).
    private func rotate() {
        guard baseURLs.count > 1 else { return }
        current.add(1, ordering: .relaxed)
        logger.info("sync peer unreachable; trying the next URL", metadata: ["sync.peer": "\(baseURL)"])
    }

    /// Rule T2: an edge takes its hub's time when its own clock is far off it.
    private func adoptHubClock(_ hubMillis: Int64) {
        let system = Int64(StockroomStore.systemWallMillis())
        guard let offset = store.clockOffset.observe(peerMillis: hubMillis, systemMillis: system) else { return }
        if offset == 0 {
            logger.notice("this node's clock agrees with the hub's again; stamping with it")
        } else {
            logger.warning(
                "this node's clock is off the hub's; stamping ops with the hub's time. Fix the clock (NTP).",
                metadata: ["clock.offset_s": "\(offset / 1000)"])
        }
    }
}
