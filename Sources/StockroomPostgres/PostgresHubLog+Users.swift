public import Foundation
import NIOCore
import PostgresNIO
public import StockroomCore

/// Dashboard users and sessions shared by the hub processes of one database (schema v5).
extension PostgresHubLog {
    /// Publishes users one process holds: a record replaces the shared one only when its
    /// version is later (``UserRecord/supersedes(_:)``); the later last sign-in is kept
    /// either way. Idempotent and commutative; one transaction.
    public func publishUsers(_ users: [UserRecord]) async throws {
        guard !users.isEmpty else { return }
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            for user in users {
                try await connection.query(
                    """
                    INSERT INTO hub_users (name, display_name, role, password_hash, created_at, password_changed_at,
                                           disabled_at, last_sign_in_at, version_ms, version_node)
                    VALUES (\(user.name), \(user.displayName), \(user.role), \(user.passwordHash), \(user.createdAt),
                            \(user.passwordChangedAt), \(user.disabledAt), \(user.lastSignInAt), \(user.versionMillis),
                            \(user.versionNode))
                    ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                        password_hash = excluded.password_hash, created_at = excluded.created_at,
                        password_changed_at = excluded.password_changed_at, disabled_at = excluded.disabled_at,
                        last_sign_in_at = greatest(hub_users.last_sign_in_at, excluded.last_sign_in_at),
                        version_ms = excluded.version_ms, version_node = excluded.version_node
                    WHERE (excluded.version_ms, excluded.version_node) > (hub_users.version_ms, hub_users.version_node)
                    """, logger: self.logger)
                if let signedIn = user.lastSignInAt {
                    try await connection.query(
                        """
                        UPDATE hub_users SET last_sign_in_at = \(signedIn)
                        WHERE name = \(user.name) AND (last_sign_in_at IS NULL OR last_sign_in_at < \(signedIn))
                        """, logger: self.logger)
                }
            }
        }
    }

    /// Every shared user.
    public func sharedUsers() async throws -> [UserRecord] {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var users: [UserRecord] = []
            let rows = try await connection.query(
                """
                SELECT name, display_name, role, password_hash, created_at, password_changed_at, disabled_at,
                       last_sign_in_at, version_ms, version_node
                FROM hub_users ORDER BY name
                """, logger: self.logger)
            for try await (name, display, role, hash, created, changed, disabled, signedIn, version, node)
                in rows.decode(
                    (String, String, String, String, Int64, Int64, Int64?, Int64?, Int64, String).self)
            {
                users.append(
                    UserRecord(
                        name: name, displayName: display, role: role, passwordHash: hash, createdAt: created,
                        passwordChangedAt: changed, disabledAt: disabled, lastSignInAt: signedIn,
                        versionMillis: version, versionNode: node))
            }
            return users
        }
    }

    // MARK: Sessions (the storage behind the dashboard's hummingbird-auth SessionStorage)

    /// A stored session value, or nil when absent or expired. `now` in seconds since 1970.
    public func sessionValue(key: String, now: Int64) async throws -> (value: Data, expiresAt: Int64?)? {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT value, expires_at FROM hub_web_sessions WHERE key = \(key)", logger: self.logger)
            for try await (value, expiresAt) in rows.decode((ByteBuffer, Int64?).self) {
                if let expiresAt, expiresAt <= now { return nil }
                return (Data(value.readableBytesView), expiresAt)
            }
            return nil
        }
    }

    /// Stores a session value; `expiresAt` nil keeps the stored expiry. With `mustBeNew`,
    /// returns false (and changes nothing) when the key exists, and sweeps expired
    /// sessions. Committed when it returns; retried whole on a failover.
    @discardableResult
    public func storeSession(
        key: String, value: Data, expiresAt: Int64?, mustBeNew: Bool, now: Int64
    ) async throws
        -> Bool
    {
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            let bytes = ByteBuffer(bytes: value)
            if mustBeNew {
                try await connection.query(
                    "DELETE FROM hub_web_sessions WHERE expires_at <= \(now)", logger: self.logger)
                let rows = try await connection.query(
                    """
                    INSERT INTO hub_web_sessions (key, value, expires_at) VALUES (\(key), \(bytes), \(expiresAt))
                    ON CONFLICT (key) DO NOTHING RETURNING key
                    """, logger: self.logger)
                for try await _ in rows.decode(String.self) { return true }
                return false
            }
            try await connection.query(
                """
                INSERT INTO hub_web_sessions (key, value, expires_at) VALUES (\(key), \(bytes), \(expiresAt))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                    expires_at = coalesce(excluded.expires_at, hub_web_sessions.expires_at)
                """, logger: self.logger)
            return true
        }
    }

    /// Removes a session. Idempotent.
    public func removeSession(key: String) async throws {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            try await connection.query("DELETE FROM hub_web_sessions WHERE key = \(key)", logger: self.logger)
        }
    }
}
