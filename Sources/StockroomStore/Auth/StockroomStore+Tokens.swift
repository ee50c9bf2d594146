import Crypto
public import Foundation
import GRDB
import StockroomCore

/// A token as listed: never its secret.
public struct TokenInfo: Hashable, Sendable {
    public var id: String
    public var role: Role
    public var node: String?
    public var label: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// When the token last authenticated a request, to within a minute (nil: never, or
    /// before this was recorded).
    public var lastUsedAt: Date?
}

extension StockroomStore {
    /// Creates a token and returns its full text, which is shown once and never stored: the
    /// database keeps only a SHA-256 of the secret.
    ///
    /// The text is `sr_<id>_<secret>`: a 10-character id to find the row, and a 32-byte
    /// random secret (base32). A peer token must name its node.
    public func createToken(
        role: Role, node: String? = nil, label: String = ""
    ) async throws -> (
        token: String, info: TokenInfo
    ) {
        // A label becomes part of every op's actor and is printed by `token list`: one line
        // of text without control characters (finding 23: newlines and escape sequences).
        if !label.isEmpty && !InputRules.isLabel(label, maxLength: InputRules.maxTokenLabelLength) {
            throw StoreError.invalid(
                field: "label",
                message:
                    "must be at most \(InputRules.maxTokenLabelLength) bytes on one line, without control characters"
            )
        }
        if role == .peer && node.map({ !NodeID.isValid($0) }) ?? true {
            throw StoreError.invalid(field: "node", message: "a peer token needs --node with a valid node id")
        }
        if role != .peer && node != nil {
            throw StoreError.invalid(field: "node", message: "only peer tokens are bound to a node")
        }
        let id = Self.randomBase32(characters: 10)
        let secret = Self.randomBase32(characters: 52)
        let now = Date()
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO tokens (id, role, node, label, secret_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, role.rawValue, node, label, Self.digest(secret), Int64(now.timeIntervalSince1970)])
        }
        return ("sr_\(id)_\(secret)", TokenInfo(id: id, role: role, node: node, label: label, createdAt: now))
    }

    /// The principal for a presented token, or nil when it is unknown, malformed, revoked
    /// or its secret does not match. Compares digests in constant time.
    public func authenticate(token: String) async throws -> Principal? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sr", parts[1].utf8.count == 10, parts[2].utf8.count == 52 else {
            return nil
        }
        let id = String(parts[1])
        let presented = Self.digest(String(parts[2]))
        return try await read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT role, node, label, secret_sha256 FROM tokens WHERE id = ? AND revoked_at IS NULL"),
                    arguments: [id]),
                let role = Role(rawValue: row[0])
            else { return nil }
            let stored: Data = row[3]
            guard stored.count == presented.count else { return nil }
            var difference: UInt8 = 0
            for (a, b) in zip(stored, presented) { difference |= a ^ b }
            guard difference == 0 else { return nil }
            return Principal(tokenID: id, role: role, label: row[2], node: row[1])
        }
    }

    public func listTokens() async throws -> [TokenInfo] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, role, node, label, created_at, revoked_at, last_used_at FROM tokens ORDER BY created_at, id"
            )
            .compactMap { row in
                guard let role = Role(rawValue: row[1]) else { return nil }
                return TokenInfo(
                    id: row[0], role: role, node: row[2], label: row[3],
                    createdAt: Date(timeIntervalSince1970: TimeInterval(row[4] as Int64)),
                    revokedAt: (row[5] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) },
                    lastUsedAt: (row[6] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) })
            }
        }
    }

    /// Revokes a token. Idempotent: revoking a revoked token keeps its first revocation time.
    /// Throws ``StoreError/unknownToken(_:)``.
    public func revokeToken(id: String) async throws {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tokens WHERE id = ?", arguments: [id]) != nil else {
                throw StoreError.unknownToken(id)
            }
            try db.execute(
                sql: "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                arguments: [Int64(Date().timeIntervalSince1970), id])
        }
    }

    static func digest(_ secret: String) -> Data { Data(SHA256.hash(data: Data(secret.utf8))) }

    /// RFC 4648 base32 alphabet, lower case: no characters a shell or URL needs escaped.
    static func randomBase32(characters: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<characters).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
    }
}
