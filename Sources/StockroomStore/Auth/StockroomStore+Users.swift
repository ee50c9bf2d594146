public import Foundation
import GRDB
import StockroomCore

/// A person who signs in to the dashboard. Never carries the password hash.
public struct UserInfo: Hashable, Sendable {
    /// The sign-in name: lower-case letters, digits, `.`, `_`, `-`, 2–64 bytes.
    public var name: String
    public var displayName: String
    public var role: Role
    public var createdAt: Date
    public var passwordChangedAt: Date
    public var disabledAt: Date?
    public var lastSignInAt: Date?

    public var isDisabled: Bool { disabledAt != nil }
}

/// The rules for user names, roles and passwords, in one place for the CLI, the API and
/// the Settings page.
public enum UserRules {
    /// The roles a person can hold (scanner and peer are for tokens only).
    public static let roles: [Role] = [.admin, .manager, .staff, .readonly]
    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 72  // bcrypt reads no further

    public static func checkName(_ name: String) throws {
        let bytes = Array(name.utf8)
        guard (2...64).contains(bytes.count),
            bytes.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || [45, 46, 95].contains($0) })
        else {
            throw StoreError.invalid(
                field: "name",
                message: "a user name is 2-64 lower-case letters, digits, '.', '_' or '-' (e.g. maria.lopez)")
        }
    }

    public static func checkRole(_ role: Role) throws {
        guard roles.contains(role) else {
            throw StoreError.invalid(
                field: "role", message: "a person's role is one of admin, manager, staff, readonly")
        }
    }

    public static func checkDisplayName(_ displayName: String) throws {
        guard InputRules.isLabel(displayName, maxLength: 100), !displayName.isEmpty else {
            throw StoreError.invalid(field: "display_name", message: "1-100 bytes on one line")
        }
    }

    /// Length only, as NIST SP 800-63B advises: no composition rules.
    public static func checkPassword(_ password: String) throws {
        let count = password.utf8.count
        guard count >= minimumPasswordLength else {
            throw StoreError.invalid(
                field: "password", message: "a password needs at least \(minimumPasswordLength) characters")
        }
        guard count <= maximumPasswordLength else {
            throw StoreError.invalid(field: "password", message: "a password has at most 72 bytes")
        }
    }
}

extension StockroomStore {
    /// Creates a user with an already computed bcrypt hash (hashing takes ~250 ms, so the
    /// caller does it off the database's queue). Throws ``StoreError/invalid(field:message:)``
    /// for a bad name, role or display name, or a name already taken. Committed when it returns.
    public func createUser(
        name: String, displayName: String, role: Role, passwordHash: String
    ) async throws
        -> UserInfo
    {
        try UserRules.checkName(name)
        try UserRules.checkRole(role)
        try UserRules.checkDisplayName(displayName)
        let now = Int64(Date().timeIntervalSince1970)
        try await writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) != nil {
                throw StoreError.invalid(field: "name", message: "a user named '\(name)' already exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO users (name, display_name, role, password_hash, created_at, password_changed_at,
                                       version_ms, version_node)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    name, displayName, role.rawValue, passwordHash, now, now, Int64(Self.systemWallMillis()),
                    nodeID.rawValue,
                ])
        }
        return UserInfo(
            name: name, displayName: displayName, role: role, createdAt: Date(timeIntervalSince1970: Double(now)),
            passwordChangedAt: Date(timeIntervalSince1970: Double(now)))
    }

    public func listUsers() async throws -> [UserInfo] {
        try await read { db in try Row.fetchAll(db, sql: "\(Self.userColumns) ORDER BY name").compactMap(Self.user) }
    }

    public func user(named name: String) async throws -> UserInfo? {
        try await read { db in
            try Row.fetchOne(db, sql: "\(Self.userColumns) WHERE name = ?", arguments: [name]).flatMap(Self.user)
        }
    }

    /// The user and their password hash, for signing in. Nil for an unknown name.
    public func userCredentials(name: String) async throws -> (user: UserInfo, passwordHash: String)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "\(Self.userColumns) WHERE name = ?", arguments: [name]),
                let user = Self.user(row)
            else { return nil }
            let hash: String =
                try String.fetchOne(
                    db, sql: "SELECT password_hash FROM users WHERE name = ?", arguments: [name]) ?? ""
            return (user, hash)
        }
    }

    /// Sets a new password hash. Every session made before it stops working (the dashboard
    /// compares a session's start with `password_changed_at`). Throws `invalid(name)` for an
    /// unknown user.
    public func setPassword(user name: String, passwordHash: String) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        try await updateUser(
            name, sql: "UPDATE users SET password_hash = ?, password_changed_at = ?, \(versionBump) WHERE name = ?"
        ) {
            [passwordHash, now, name]
        }
    }

    /// Disables (or enables again) a user. A disabled user cannot sign in, and their open
    /// sessions end at their next request. Idempotent. Throws `invalid(name)` for an unknown
    /// user, and refuses to disable the last enabled admin (nobody could manage users after).
    public func setUserDisabled(_ name: String, _ disabled: Bool) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        try await writer.write { db in
            guard let role = try String.fetchOne(db, sql: "SELECT role FROM users WHERE name = ?", arguments: [name])
            else { throw StoreError.invalid(field: "name", message: "no user named '\(name)'") }
            if disabled, role == Role.admin.rawValue { try Self.requireAnotherAdmin(than: name, field: "name", db) }
            if disabled {
                try db.execute(
                    sql: "UPDATE users SET disabled_at = coalesce(disabled_at, ?), \(versionBump) WHERE name = ?",
                    arguments: [now, name])
            } else {
                try db.execute(
                    sql: "UPDATE users SET disabled_at = NULL, \(versionBump) WHERE name = ?", arguments: [name])
            }
        }
    }

    /// Changes a user's role. Refuses to demote the last enabled admin.
    public func setUserRole(_ name: String, _ role: Role) async throws {
        try UserRules.checkRole(role)
        try await writer.write { db in
            guard let old = try String.fetchOne(db, sql: "SELECT role FROM users WHERE name = ?", arguments: [name])
            else { throw StoreError.invalid(field: "name", message: "no user named '\(name)'") }
            if old == Role.admin.rawValue, role != .admin {
                try Self.requireAnotherAdmin(than: name, field: "role", db)
            }
            try db.execute(
                sql: "UPDATE users SET role = ?, \(versionBump) WHERE name = ?", arguments: [role.rawValue, name])
        }
    }

    /// Refuses to leave the node without an enabled admin (nobody could manage users).
    private static func requireAnotherAdmin(than name: String, field: String, _ db: Database) throws {
        let admins =
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND name != ?",
                arguments: [name]) ?? 0
        if admins == 0 {
            throw StoreError.invalid(
                field: field, message: "'\(name)' is the last enabled admin; make another admin first")
        }
    }

    public func recordSignIn(user name: String) async throws {
        try await updateUser(name, sql: "UPDATE users SET last_sign_in_at = ? WHERE name = ?") {
            [Int64(Date().timeIntervalSince1970), name]
        }
    }

    public func hasEnabledAdmin() async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL") != nil
        }
    }

    private func updateUser(
        _ name: String, sql: String, arguments: @escaping @Sendable () -> StatementArguments
    )
        async throws
    {
        try await writer.write { db in
            try db.execute(sql: sql, arguments: arguments())
            if db.changesCount == 0 { throw StoreError.invalid(field: "name", message: "no user named '\(name)'") }
        }
    }

    /// The SET clause every edit of a user carries: a version later than the one it
    /// replaces and than now, by this node (``UserRecord``'s last-writer-wins).
    private var versionBump: String {
        "version_ms = max(version_ms + 1, \(Self.systemWallMillis())), version_node = '\(nodeID.rawValue)'"
    }

    static let userColumns =
        "SELECT name, display_name, role, created_at, password_changed_at, disabled_at, last_sign_in_at FROM users"

    static func user(_ row: Row) -> UserInfo? {
        guard let role = Role(rawValue: row[2]) else { return nil }
        func date(_ value: Int64?) -> Date? { value.map { Date(timeIntervalSince1970: Double($0)) } }
        return UserInfo(
            name: row[0], displayName: row[1], role: role, createdAt: date(row[3])!,
            passwordChangedAt: date(row[4])!, disabledAt: date(row[5]), lastSignInAt: date(row[6]))
    }

    // MARK: Sessions (the storage behind hummingbird-auth's SessionStorage)

    /// A stored session value, or nil when absent or expired.
    public func sessionValue(key: String) async throws -> (value: Data, expiresAt: Int64?)? {
        let now = Int64(Date().timeIntervalSince1970)
        return try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT value, expires_at FROM web_sessions WHERE key = ?", arguments: [key])
            else { return nil }
            let expiresAt: Int64? = row[1]
            if let expiresAt, expiresAt <= now { return nil }
            return (row[0], expiresAt)
        }
    }

    /// Stores a session value. `expiresAt` nil keeps the stored expiry (PersistDriver.set's
    /// contract). Expired sessions are swept on each new one. Committed when it returns.
    public func setSessionValue(key: String, value: Data, expiresAt: Int64?, mustBeNew: Bool) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        try await writer.write { db in
            if mustBeNew {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM web_sessions WHERE key = ?", arguments: [key]) != nil {
                    throw StoreError.invalid(field: "key", message: "exists")
                }
                try db.execute(sql: "DELETE FROM web_sessions WHERE expires_at <= ?", arguments: [now])
            }
            try db.execute(
                sql: """
                    INSERT INTO web_sessions (key, value, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                        expires_at = coalesce(excluded.expires_at, web_sessions.expires_at)
                    """, arguments: [key, value, expiresAt])
        }
    }

    public func removeSession(key: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM web_sessions WHERE key = ?", arguments: [key]) }
    }

    // MARK: Token use

    /// Records that tokens were used (the authenticator batches these). Best effort.
    public func recordTokenUse(_ ids: [String: Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await writer.write { db in
            for (id, at) in ids {
                try db.execute(
                    sql: "UPDATE tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?",
                    arguments: [at, id])
            }
        }
    }
}
