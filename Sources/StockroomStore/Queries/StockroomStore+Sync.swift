import GRDB
public import StockroomCore

extension StockroomStore {
    /// The most log rows one pull scans, whatever it keeps: bounds the work of an edge's
    /// pull on a hub whose log is mostly other stores' ops.
    public static let maxScannedPerPull = 100_000

    /// Serves a pull (sync-protocol section 4.2): the ops after `cursor` that concern
    /// the puller, at most `limit` of them, with the coverage they give and the cursor to
    /// resume from. A cursor from another epoch (this database was rebuilt or restored)
    /// restarts from the beginning; the puller's dedup makes that safe.
    ///
    /// Reads a WAL snapshot: concurrent writes neither block it nor appear half-way.
    ///
    /// A puller of an older protocol is sent only ops of the kinds it knows (section 8), and
    /// ops without their business facts below protocol 4 (section 12); once upgraded it
    /// pulls again from the start and gets the rest.
    ///
    /// `omitting`: ops that concern the puller but may be left out of a snapshot (rule K1,
    /// sync-protocol section 15.2); they count in the coverage as scanned.
    public func pullBatch(
        epoch clientEpoch: String, cursor: UInt64, interest: SyncInterest, limit: Int,
        protocolVersion: Int = Int(BatchCodec.version), omitting: (@Sendable (Op) -> Bool)? = nil
    ) async throws
        -> SyncBatch
    {
        let node = nodeID
        return try await read { db in
            let epoch = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'epoch'") ?? ""
            // Checked: the route refuses larger cursors; a caller that did not gets the whole log.
            var position = clientEpoch == epoch ? Int64(exactly: cursor) ?? 0 : 0
            var filter = PullFilter(interest: interest, protocolVersion: protocolVersion, omitting: omitting)
            var scanned = 0
            var more = false
            let statement = try db.cachedStatement(
                sql: "SELECT \(OpRow.selectColumns) FROM ops WHERE lsn > ? ORDER BY lsn LIMIT ?")
            scan: while true {
                let rows = try Row.fetchAll(statement, arguments: [position, 1000])
                if rows.isEmpty { break }
                for row in rows {
                    if filter.ops.count >= limit || scanned >= Self.maxScannedPerPull {
                        more = true
                        break scan
                    }
                    let decoded = try OpRow.decode(row)
                    position = decoded.lsn
                    scanned += 1
                    filter.scan(decoded.op)
                }
            }
            return SyncBatch(
                node: node, epoch: epoch, cursor: UInt64(position), more: more, coverage: filter.coverage,
                ops: filter.ops)
        }
    }

    /// The cut of every counted cell at `node`'s locations (its id and `node/…`), for
    /// rules K1 and K2: at most one entry per cell of one store.
    public func winningCuts(atLocationsOf node: NodeID) async throws -> [StockKey: VersionVector] {
        try await read { db in
            var cuts: [StockKey: VersionVector] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT sku, location, count_context FROM stock
                    WHERE count_context IS NOT NULL AND (location = ? OR substr(location, 1, ?) = ?)
                    """, arguments: [node.rawValue, node.rawValue.count + 1, node.rawValue + "/"])
            while let row = try rows.next() {
                guard let cut = VersionVector(compactText: row[2]) else { continue }
                cuts[StockKey(sku: row[0], location: row[1])] = cut
            }
            return cuts
        }
    }

    /// This node's own ops after `seq`, in seq order, for a push.
    public func ownOps(after seq: UInt64, limit: Int) async throws -> [Op] {
        try await ops(of: nodeID, after: seq, limit: limit)
    }

    /// The ops of `origin` after `seq` that this node holds, in seq order.
    public func ops(of node: NodeID, after seq: UInt64, limit: Int) async throws -> [Op] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(OpRow.selectColumns) FROM ops WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?"),
                arguments: [node.rawValue, Int64(seq), limit]
            ).map { try OpRow.decode($0).op }
        }
    }

    /// What we know of a peer: its epoch and our cursor in its log, how far it has
    /// acknowledged our pushes, and what the last round with it moved.
    public struct PeerProgress: Hashable, Sendable {
        public var peer = ""
        public var epoch = ""
        public var cursor: UInt64 = 0
        public var pushedSeq: UInt64 = 0
        /// The last successful exchange (a pull we made, or a push we received).
        public var lastSuccessMillis: UInt64?
        public var lastError: String?
        public var lastRawBytes: Int?
        public var lastWireBytes: Int?
        public var pendingIn: UInt64?

        public init() {}

        static let columns =
            "peer, epoch, cursor, pushed_seq, last_success_ms, last_error, last_raw_bytes, last_wire_bytes, pending_in"

        init(row: Row) {
            peer = row[0]
            epoch = row[1]
            cursor = UInt64(row[2] as Int64)
            pushedSeq = UInt64(row[3] as Int64)
            lastSuccessMillis = (row[4] as Int64?).map(UInt64.init)
            lastError = row[5]
            lastRawBytes = row[6]
            lastWireBytes = row[7]
            pendingIn = (row[8] as Int64?).map(UInt64.init)
        }
    }

    public func peerProgress(_ peer: NodeID) async throws -> PeerProgress {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(PeerProgress.columns) FROM sync_peers WHERE peer = ?", arguments: [peer.rawValue]
            ).map(PeerProgress.init(row:)) ?? PeerProgress()
        }
    }

    /// Every peer this node has exchanged ops with, by node id: on a hub, the stores.
    public func allPeerProgress() async throws -> [PeerProgress] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(PeerProgress.columns) FROM sync_peers ORDER BY peer").map(
                PeerProgress.init(row:))
        }
    }

    /// Keeps what a sync round moved, so `stockroom status` can show it with the daemon
    /// stopped. Called only for rounds that moved ops (an idle round writes nothing).
    public func recordRound(with peer: NodeID, rawBytes: Int, wireBytes: Int, pendingIn: UInt64?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_peers (peer, last_raw_bytes, last_wire_bytes, pending_in) VALUES (?, ?, ?, ?)
                    ON CONFLICT (peer) DO UPDATE SET last_raw_bytes = excluded.last_raw_bytes,
                        last_wire_bytes = excluded.last_wire_bytes, pending_in = excluded.pending_in
                    """, arguments: [peer.rawValue, rawBytes, wireBytes, pendingIn.map(Int64.init)])
        }
    }

    /// Records that `peer` acknowledged our ops up to `seq` (never moves backwards).
    public func recordPushed(to peer: NodeID, seq: UInt64) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_peers (peer, pushed_seq) VALUES (?, ?)
                    ON CONFLICT (peer) DO UPDATE SET pushed_seq = max(pushed_seq, excluded.pushed_seq)
                    """, arguments: [peer.rawValue, Int64(seq)])
        }
    }

    /// Records a failed sync attempt with `peer`, for status.
    public func recordSyncError(_ message: String, peer: NodeID) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_peers (peer, last_error) VALUES (?, ?)
                    ON CONFLICT (peer) DO UPDATE SET last_error = excluded.last_error
                    """, arguments: [peer.rawValue, String(message.prefix(500))])
        }
    }
}

extension StockroomStore {
    /// The hub's node id, learned from the first pull and kept.
    public func knownHub() async throws -> NodeID? { try await knownPeer(key: "hub_node") }

    /// The node id last seen answering under `key` (the hub, or a store's URL).
    public func knownPeer(key: String) async throws -> NodeID? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).flatMap(NodeID.init)
        }
    }

    public func rememberPeer(_ peer: NodeID, key: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, peer.rawValue])
        }
    }

    /// Forgets what `peer` acknowledged, so the next push starts from our first op.
    public func resetPushed(to peer: NodeID) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE sync_peers SET pushed_seq = 0 WHERE peer = ?", arguments: [peer.rawValue])
        }
    }
}
