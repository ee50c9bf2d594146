public import StockroomCore

/// The SQLite store as a ``HubLog``: the embedded default for stores and small chains.
///
/// Unlike the PostgreSQL log, an append here also merges the ops into the node's state, in
/// the same transaction (``StockroomStore/applyPushed(_:from:locations:)``), after checking
/// them against ``OpRules`` with the origin's own locations and `grants` (rule V7).
public struct SQLiteHubLog: HubLog {
    public let store: StockroomStore
    public let grants: [NodeID: Set<String>]

    public init(store: StockroomStore, grants: [NodeID: Set<String>] = [:]) {
        self.store = store
        self.grants = grants
    }

    public func identity() async throws -> HubLogIdentity {
        HubLogIdentity(node: store.nodeID, epoch: try await store.epoch())
    }

    public func appendPushed(_ ops: [Op], from origin: NodeID) async throws -> HubLogAppend {
        do {
            let report = try await store.applyPushed(ops, from: origin, locations: .store(origin, grants: grants))
            return HubLogAppend(
                appended: report.applied, duplicates: report.duplicates,
                highSeq: store.writeContext.knowledge[origin])
        } catch SyncRefusal.foreignOrigin(let op, let peer) {
            throw HubLogRefusal.foreignOrigin(op: op, origin: peer)
        } catch StoreError.sequenceGap(let origin, let expected, let got) {
            throw HubLogRefusal.sequenceGap(origin: origin, expected: expected, got: got)
        }
    }

    public func pull(
        epoch: String, cursor: UInt64, interest: SyncInterest, limit: Int, protocolVersion: Int,
        omitting: (@Sendable (Op) -> Bool)?
    )
        async throws -> SyncBatch
    {
        try await store.pullBatch(
            epoch: epoch, cursor: cursor, interest: interest, limit: limit, protocolVersion: protocolVersion,
            omitting: omitting)
    }

    public func head() async throws -> UInt64 { UInt64(max(0, store.writeContext.lastLSN)) }

    public func highSeq(of origin: NodeID) async throws -> UInt64 { store.writeContext.knowledge[origin] }
}
