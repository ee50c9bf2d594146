import Foundation
import GRDB
import StockroomCore

/// A node that lost its disk, or was restored from a backup, must get its own history
/// back from its hub before it writes again (sync-protocol section 15.1): its next seq
/// comes from its own ops, and the hub may hold later ones under its name. A new op
/// numbered below them would be taken by the hub for a duplicate and dropped.
extension StockroomStore {
    /// Why this node is recovering (e.g. "its folder was empty"), or nil when it may write.
    public var recoveringFrom: String? { writeContext.recoveringFrom }

    /// Refuses local writes until ``endRecovery()``: persisted in `meta`, so a restart
    /// mid-recovery keeps refusing. Idempotent. Admin commands in another process read
    /// it too (their writer loads it with the rest of the context).
    ///
    /// `snapshot`: the folder is blank, so the node may ask its hub for a compacted
    /// snapshot (section 15.2) instead of every op; a restored node holds ops of its own
    /// that the hub may lack, made with older cuts, and must not.
    public func beginRecovery(because reason: String, snapshot: Bool = false) async throws {
        try await groupWriter.submit { db, context in
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES ('recovering', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [reason])
            if snapshot {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('snapshot', '1')")
            }
            context.recoveringFrom = reason
        }
    }

    /// Whether this node's pulls ask for a snapshot: it is recovering from a blank folder.
    public func wantsSnapshot() async throws -> Bool {
        guard recoveringFrom != nil else { return false }
        return try await read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'snapshot')") ?? false
        }
    }

    /// Lets local writes through again, once a pull has reached the end of the hub's log
    /// (so every op of ours the hub holds, and its coverage of our origin, is here).
    /// Idempotent; returns whether the node was recovering.
    @discardableResult
    public func endRecovery() async throws -> Bool {
        guard recoveringFrom != nil else { return false }
        return try await groupWriter.submit { db, context in
            try db.execute(sql: "DELETE FROM meta WHERE key IN ('recovering', 'snapshot')")
            defer { context.recoveringFrom = nil }
            return context.recoveringFrom != nil
        }
    }

    /// True for a folder that holds no op and has never synced: a new node, or one whose
    /// disk was replaced. Either way it cannot know what the hub holds under its name.
    public func isBlank() async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT NOT EXISTS (SELECT 1 FROM ops) AND NOT EXISTS (SELECT 1 FROM sync_peers)
                    AND NOT EXISTS (SELECT 1 FROM sync_coverage)
                    """) ?? false
        }
    }

    /// True once this node has exchanged with a peer (a store that has a hub).
    public func hasSynced() async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sync_peers)") ?? false }
    }
}
