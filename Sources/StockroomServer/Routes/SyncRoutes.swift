import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StockroomCore
import StockroomPostgres
import StockroomStore
import StockroomSync
import Synchronization

/// `POST /v1/sync/push` and `POST /v1/sync/pull` (sync-protocol/README.md, section 4),
/// for peer tokens. Every refusal applies nothing.
struct SyncRoutes {
    static let versionHeader = HTTPField.Name("Stockroom-Sync-Version")!
    /// The server's last lsn, so the puller can tell how far behind it is.
    static let logEndHeader = HTTPField.Name("Stockroom-Log-End")!
    /// On a snapshot pull: how many deltas rule K1 left out of the batch.
    static let omittedHeader = HTTPField.Name(SyncClient.omittedHeader)!
    static let digestHeader = HTTPField.Name(WireCompression.digestHeader)!
    /// On the last page of a pull from a single-process SQLite hub: rule K2's stable cut.
    static let stableCutHeader = HTTPField.Name(SyncClient.stableCutHeader)!
    /// Rule T2: the serving node's wall clock in milliseconds, on every sync answer.
    static let timeHeader = HTTPField.Name(SyncClient.timeHeader)!
    /// Compression is part of the media type, not an HTTP Content-Encoding: HTTP clients
    /// and proxies inflate `Content-Encoding: deflate` themselves (unbounded, and as zlib
    /// rather than raw deflate); this way only the bounded decompressor touches a batch.
    static let batchContentType = SyncClient.batchContentType

    let store: StockroomStore
    let metrics: NodeMetrics
    let isHub: Bool
    /// Extra locations each store may write besides its own (rule V7).
    let locationGrants: [NodeID: Set<String>]
    /// An edge's hub, or the stores a hub pulls from.
    let services: [SyncService]
    /// A hub process over the shared PostgreSQL log: pushes are checked against this
    /// process's replica and then appended to the log; pulls are served from the log.
    var replica: HubReplica? = nil
    /// Rule K1's history horizon for a blank store's snapshot (section 15.2); nil: off.
    var snapshotHistoryDays: Int? = nil
    /// The last snapshot puller's winning counts, reused while no count is applied.
    let winningCutsCache = WinningCutsCache()

    func register(on peers: RouterGroup<StockroomRequestContext>) {
        let group = peers.group().add(middleware: ClockHeader())
        group.post("sync/push") { request, context -> JSONAnswer<PushResponse> in
            let peer = try Self.peer(context)
            let version = try Self.checkVersion(request)
            let body = try await RequestDecoding.body(request, limit: WireCompression.maxCompressedBytes)
            let batch = try Self.decode(Array(body.readableBytesView), digest: request.headers[Self.digestHeader])
            guard batch.node == peer else {
                throw APIError(
                    .forbidden, "node_mismatch", "the batch is from '\(batch.node)', the token is for '\(peer)'")
            }
            let report: RemoteApplyReport
            var appended: HubLogAppend?
            do {
                // Over PostgreSQL: checked against this process's replica, then appended
                // (HubReplica.acceptPush). A store that stays with one process costs no
                // extra round trip.
                let locations = LocationPolicy.store(peer, grants: locationGrants)
                if let replica {
                    (report, appended) = try await replica.acceptPush(batch.ops, from: peer, locations: locations)
                } else {
                    report = try await store.applyPushed(batch.ops, from: peer, locations: locations)
                }
            } catch let violation as OpViolation {
                // A peer that keeps sending invalid ops shows in /v1/sync/status and in a metric.
                metrics.syncRefused(rule: violation.rule.rawValue)
                try? await store.recordSyncError("refused a push: \(violation)", peer: peer)
                throw violation
            }
            if let replica, let appended {
                return JSONAnswer(
                    value: PushResponse(
                        node: replica.identity.node.rawValue, applied: appended.appended,
                        duplicates: appended.duplicates, clamped: report.clamped, highSeq: appended.highSeq,
                        protocolVersion: version))
            }
            return JSONAnswer(
                value: PushResponse(
                    node: store.nodeID.rawValue, applied: report.applied, duplicates: report.duplicates,
                    clamped: report.clamped, highSeq: store.writeContext.knowledge[peer], protocolVersion: version))
        }
        group.post("sync/pull") { request, context -> Response in
            let peer = try Self.peer(context)
            let version = try Self.checkVersion(request)
            let pull = try await RequestDecoding.json(PullRequest.self, from: request)
            guard SyncMessages.supportedVersions.contains(pull.protocolVersion) else {
                throw Self.unsupported("\(pull.protocolVersion)")
            }
            guard pull.node == peer.rawValue else {
                throw APIError(.forbidden, "node_mismatch", "the pull names '\(pull.node)', the token is for '\(peer)'")
            }
            // Positions are SQLite integers: a cursor past Int64.max names no position (and
            // once trapped in a conversion, killing the node for any peer token).
            guard pull.cursor <= UInt64(Int64.max) else {
                throw APIError(.badRequest, "invalid_request", "cursor must be between 0 and \(Int64.max)")
            }
            let limit = min(max(pull.maxOps ?? 5000, 1), SyncBatch.maxOps)
            // A hub serves an edge what concerns it; an edge serves only its own ops.
            let interest: SyncInterest = isHub ? .edge(peer) : .origin(store.nodeID)
            let answered = min(version, pull.protocolVersion)
            let log: any HubLog = replica?.log ?? SQLiteHubLog(store: store)
            // Rules K1 and K2 (sections 15.2-15.4): never at a location another store may
            // write. The cut is read before the page: on one SQLite process, everything
            // it holds; over PostgreSQL, the minimum of every process's published cut.
            let shared = locationGrants.values.contains { $0.contains { SyncInterest.isLocation($0, of: peer) } }
            var stableCut: VersionVector?
            if isHub, !shared {
                if let replica {
                    stableCut = try await replica.log.stableCut(for: peer)
                } else {
                    // Two lookups, not a filter of a chain's every origin on every pull.
                    let knowledge = store.writeContext.knowledge
                    stableCut = VersionVector([peer: knowledge[peer], store.nodeID: knowledge[store.nodeID]])
                }
            }
            let omitted = Mutex(0)
            var omitting: (@Sendable (Op) -> Bool)?
            if pull.snapshot == true, let stableCut, let compaction = snapshotCompaction() {
                // Winners over every count in the log before the cut was read.
                try await replica?.catchUp()
                let leaveOut = compaction.omitter(
                    winningCuts: try await winningCutsCache.cuts(atLocationsOf: peer, in: store),
                    stableCut: replica == nil ? nil : stableCut)
                omitting = { op in
                    guard leaveOut(op) else { return false }
                    omitted.withLock { $0 += 1 }
                    return true
                }
            }
            let batch = try await log.pull(
                epoch: pull.epoch, cursor: pull.cursor, interest: interest, limit: limit, protocolVersion: answered,
                omitting: omitting)
            if batch.more { stableCut = nil } else if pull.snapshot == true { winningCutsCache.forget(peer) }
            var headers: HTTPFields = [
                .contentType: Self.batchContentType, Self.versionHeader: String(answered),
                Self.logEndHeader: String(try await log.head()),
            ]
            if pull.snapshot == true { headers[Self.omittedHeader] = String(omitted.withLock { $0 }) }
            if let stableCut { headers[Self.stableCutHeader] = stableCut.compactText }
            let (wire, digest) = WireCompression.wireWithDigest(batch)
            headers[Self.digestHeader] = digest
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: wire)))
        }
    }

    /// K1's horizon now: `snapshotHistoryDays` back. (Its third condition, no other
    /// writer of the puller's locations, is the `shared` test of the pull route.)
    func snapshotCompaction() -> HistoryCompaction? {
        guard let snapshotHistoryDays else { return nil }
        return HistoryCompaction(
            nowMillis: UInt64(Date().timeIntervalSince1970 * 1000), historyDays: snapshotHistoryDays)
    }

    struct StatusResponse: ResponseEncodable {
        struct Peer: Encodable {
            var url: String
            var node: String?
            var lastSuccess: String?
            var lastError: String?
            var lastErrorAt: String?
            var consecutiveFailures: Int
            var pendingOut: UInt64
            var pendingIn: UInt64?
            var lastRound: Round?

            enum CodingKeys: String, CodingKey {
                case url, node, lastSuccess = "last_success", lastError = "last_error", lastErrorAt = "last_error_at"
                case consecutiveFailures = "consecutive_failures", pendingOut = "pending_out", pendingIn = "pending_in"
                case lastRound = "last_round"
            }
        }
        struct Round: Encodable {
            var pulled: Int
            var pushed: Int
            var rawBytes: Int
            var wireBytes: Int
            enum CodingKeys: String, CodingKey {
                case pulled, pushed, rawBytes = "raw_bytes", wireBytes = "wire_bytes"
            }
        }
        struct Origin: Encodable {
            var origin: String
            var seq: UInt64
        }
        /// A node this one exchanged ops with (on a hub: the stores that pushed), from
        /// the database, so it survives restarts.
        struct KnownPeer: Encodable {
            var node: String
            var lastSuccess: String?
            var lastError: String?
            var lastRawBytes: Int?
            var lastWireBytes: Int?
            enum CodingKeys: String, CodingKey {
                case node, lastSuccess = "last_success", lastError = "last_error"
                case lastRawBytes = "last_raw_bytes", lastWireBytes = "last_wire_bytes"
            }
        }
        /// A hub process over PostgreSQL: the shared log, and how far this process's
        /// replica is behind it.
        struct HubLogStatus: Encodable {
            var database: String
            var host: String
            var hubNode: String
            var epoch: String
            var head: UInt64
            var replicaCursor: UInt64
            var replicaBehind: UInt64
            var unforwardedOwnOps: UInt64
            enum CodingKeys: String, CodingKey {
                case database, host, hubNode = "hub_node", epoch, head, replicaCursor = "replica_cursor"
                case replicaBehind = "replica_behind", unforwardedOwnOps = "unforwarded_own_ops"
            }
        }
        var node: String
        var role: String
        var peers: [Peer]
        var knownPeers: [KnownPeer]
        /// What this node holds of each origin (on a hub: every store).
        var coverage: [Origin]
        var hubLog: HubLogStatus?
        /// Why this node refuses writes until it has its own history back from its hub
        /// (sync-protocol section 15.1); null when it takes writes.
        var recovering: String?

        enum CodingKeys: String, CodingKey {
            case node, role, peers, knownPeers = "known_peers", coverage, hubLog = "hub_log", recovering
        }
    }

    /// `GET /v1/sync/status` and `POST /v1/sync` (sync now), for admins.
    func registerAdmin(on group: RouterGroup<StockroomRequestContext>) {
        group.get("sync/status") { _, _ -> StatusResponse in try await status() }
        group.post("sync") { _, _ -> StatusResponse in
            guard !services.isEmpty else {
                throw APIError(
                    .conflict, "no_peer",
                    "this node has no peer to sync with; start an edge with --hub URL --hub-token TOKEN, or a hub with --peer URL,TOKEN"
                )
            }
            for service in services {
                do {
                    try await service.syncNow()
                } catch {
                    throw APIError(.badGateway, "sync_failed", "sync with \(service.client.baseURL) failed: \(error)")
                }
            }
            return try await status()
        }
    }

    func status() async throws -> StatusResponse {
        var peers: [StatusResponse.Peer] = []
        for service in services {
            let status = service.status
            var pendingOut: UInt64 = 0
            if service.client.mode == .hub {
                pendingOut = store.writeContext.nextSeq - 1
                if let hub = try await store.knownHub() {
                    pendingOut -= min(pendingOut, try await store.peerProgress(hub).pushedSeq)
                }
            }
            peers.append(
                StatusResponse.Peer(
                    url: status.url, node: status.peer, lastSuccess: status.lastSuccess.map { $0.formatted(.iso8601) },
                    lastError: status.lastError, lastErrorAt: status.lastErrorAt.map { $0.formatted(.iso8601) },
                    consecutiveFailures: status.consecutiveFailures, pendingOut: pendingOut,
                    pendingIn: status.pendingIn,
                    lastRound: status.lastRound.map {
                        StatusResponse.Round(
                            pulled: $0.pulled, pushed: $0.pushed, rawBytes: $0.rawBytes, wireBytes: $0.wireBytes)
                    }))
        }
        let known = try await store.allPeerProgress().map { progress in
            StatusResponse.KnownPeer(
                node: progress.peer,
                lastSuccess: progress.lastSuccessMillis.map {
                    Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601)
                }, lastError: progress.lastError, lastRawBytes: progress.lastRawBytes,
                lastWireBytes: progress.lastWireBytes)
        }
        return StatusResponse(
            node: store.nodeID.rawValue, role: isHub ? "hub" : "edge", peers: peers, knownPeers: known,
            coverage: store.writeContext.knowledge.sortedEntries.map { .init(origin: $0.origin.rawValue, seq: $0.seq) },
            hubLog: try await hubLogStatus(), recovering: store.recoveringFrom)
    }

    /// The shared log as this process sees it; nil on a SQLite node. A database that
    /// cannot be reached right now is an error of the status call (503 from the retry).
    func hubLogStatus() async throws -> StatusResponse.HubLogStatus? {
        guard let replica else { return nil }
        let head = try await replica.log.head()
        let cursor = try await store.peerProgress(replica.identity.node).cursor
        let own = store.writeContext.nextSeq - 1
        let forwarded = try await replica.log.highSeq(of: store.nodeID)
        return StatusResponse.HubLogStatus(
            database: replica.log.database.redacted, host: replica.log.hosts.activeName,
            hubNode: replica.identity.node.rawValue, epoch: replica.identity.epoch, head: head,
            replicaCursor: cursor, replicaBehind: head - min(head, cursor), unforwardedOwnOps: own - min(own, forwarded)
        )
    }

    static func peer(_ context: StockroomRequestContext) throws -> NodeID {
        guard let principal = context.principal, principal.role == .peer, let node = principal.node.flatMap(NodeID.init)
        else { throw APIError(.forbidden, "forbidden", "sync needs a peer token bound to a node id") }
        return node
    }

    /// The request's protocol version, 1 to `SyncMessages.protocolVersion` (5; section 8).
    @discardableResult
    static func checkVersion(_ request: Request) throws -> Int {
        guard let text = request.headers[versionHeader] else {
            throw APIError(
                .badRequest, "unsupported_protocol_version",
                "send 'Stockroom-Sync-Version: \(SyncMessages.protocolVersion)'")
        }
        guard let version = Int(text), SyncMessages.supportedVersions.contains(version) else { throw unsupported(text) }
        return version
    }

    static func unsupported(_ version: String) -> APIError {
        APIError(
            .badRequest, "unsupported_protocol_version",
            "sync protocol version \(version.prefix(20)) is not supported; this node speaks \(SyncMessages.supportedVersions.lowerBound) to \(SyncMessages.supportedVersions.upperBound): upgrade the older side (the hub first)"
        )
    }

    /// Inflates (bounded) and decodes a pushed body, mapping failures to the spec's codes.
    /// `digest`, when sent, must be the SHA-256 of the inflated bytes (section 5.1).
    static func decode(_ body: [UInt8], digest: String? = nil) throws -> SyncBatch {
        let inflated: [UInt8]
        do {
            inflated = try WireCompression.decompress(body)
        } catch .decompressedTooLarge(let limit) {
            throw APIError(
                .contentTooLarge, "decompressed_too_large",
                "the batch inflates past \(limit) bytes; send smaller batches")
        } catch {
            throw APIError(.badRequest, "malformed_batch", "the body is not deflate data")
        }
        if let damage = WireCompression.digestMismatch(inflated, sent: digest) {
            throw APIError(.badRequest, "digest_mismatch", "\(damage); nothing was applied, send it again")
        }
        do {
            return try BatchCodec.decode(inflated)
        } catch .unsupportedVersion(let version) {
            throw unsupported("\(version)")
        } catch {
            throw APIError(.badRequest, "malformed_batch", error.description)
        }
    }
}

/// Wraps a message type of another module as a Hummingbird response body.
struct JSONAnswer<Value: Encodable & Sendable>: ResponseEncodable {
    var value: Value
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Stamps every successful push and pull answer with this node's wall clock (rule T2), so
/// an edge learns its hub's time from whichever exchange it makes first.
struct ClockHeader: RouterMiddleware {
    typealias Context = StockroomRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[SyncRoutes.timeHeader] = String(StockroomStore.systemWallMillis())
        return response
    }
}
