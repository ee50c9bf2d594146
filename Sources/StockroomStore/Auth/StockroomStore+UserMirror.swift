import Foundation
import GRDB
public import StockroomCore

/// The users as hub processes over one PostgreSQL database share them (``UserRecord``).
extension StockroomStore {
    /// Every user, password hash and version included.
    public func storedUsers() async throws -> [UserRecord] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT name, display_name, role, password_hash, created_at, password_changed_at, disabled_at,
                           last_sign_in_at, version_ms, version_node
                    FROM users ORDER BY name
                    """
            ).map {
                UserRecord(
                    name: $0[0], displayName: $0[1], role: $0[2], passwordHash: $0[3], createdAt: $0[4],
                    passwordChangedAt: $0[5], disabledAt: $0[6], lastSignInAt: $0[7], versionMillis: $0[8],
                    versionNode: $0[9])
            }
        }
    }

    /// Takes users made or changed elsewhere: a record replaces this node's row only when
    /// its version is later (``UserRecord/supersedes(_:)``), and the later last sign-in is
    /// kept either way. Records with a role this binary does not know are skipped.
    /// Idempotent and commutative; one transaction. Returns how many users changed.
    @discardableResult
    public func mergeUsers(_ users: [UserRecord]) async throws -> Int {
        guard !users.isEmpty else { return 0 }
        return try await writer.write { db in
            var changed = 0
            for user in users {
                guard let role = Role(rawValue: user.role), UserRules.roles.contains(role) else { continue }
                try db.execute(
                    sql: """
                        INSERT INTO users (name, display_name, role, password_hash, created_at, password_changed_at,
                                           disabled_at, last_sign_in_at, version_ms, version_node)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                            password_hash = excluded.password_hash, created_at = excluded.created_at,
                            password_changed_at = excluded.password_changed_at, disabled_at = excluded.disabled_at,
                            version_ms = excluded.version_ms, version_node = excluded.version_node
                        WHERE (excluded.version_ms, excluded.version_node) > (users.version_ms, users.version_node)
                        """,
                    arguments: [
                        user.name, user.displayName, user.role, user.passwordHash, user.createdAt,
                        user.passwordChangedAt, user.disabledAt, user.lastSignInAt, user.versionMillis,
                        user.versionNode,
                    ])
                var rows = db.changesCount
                if let signedIn = user.lastSignInAt {
                    try db.execute(
                        sql: """
                            UPDATE users SET last_sign_in_at = ?
                            WHERE name = ? AND (last_sign_in_at IS NULL OR last_sign_in_at < ?)
                            """, arguments: [signedIn, user.name, signedIn])
                    rows += db.changesCount
                }
                changed += rows > 0 ? 1 : 0
            }
            return changed
        }
    }
}
