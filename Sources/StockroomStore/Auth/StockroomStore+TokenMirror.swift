public import Foundation
import GRDB
public import StockroomCore

/// A token row as it is kept (``TokenRecord``, in the core so the PostgreSQL log can
/// carry it too).
public typealias StoredToken = TokenRecord

extension StockroomStore {
    /// Every token, with its digest (never a secret: none is stored).
    public func storedTokens() async throws -> [StoredToken] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, role, node, label, secret_sha256, created_at, revoked_at FROM tokens ORDER BY id"
            ).map {
                StoredToken(
                    id: $0[0], role: $0[1], node: $0[2], label: $0[3], secretSHA256: $0[4], createdAt: $0[5],
                    revokedAt: $0[6])
            }
        }
    }

    /// Takes tokens made or revoked elsewhere: adds the unknown ones and revokes those
    /// revoked there. Never un-revokes, never changes a known token's secret or role.
    /// Idempotent. Returns how many rows changed.
    @discardableResult
    public func mergeTokens(_ tokens: [StoredToken]) async throws -> Int {
        guard !tokens.isEmpty else { return 0 }
        return try await writer.write { db in
            var changed = 0
            for token in tokens {
                guard Role(rawValue: token.role) != nil else { continue }
                try db.execute(
                    sql: """
                        INSERT INTO tokens (id, role, node, label, secret_sha256, created_at, revoked_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET revoked_at = coalesce(tokens.revoked_at, excluded.revoked_at)
                        WHERE tokens.revoked_at IS NULL AND excluded.revoked_at IS NOT NULL
                        """,
                    arguments: [
                        token.id, token.role, token.node, token.label, token.secretSHA256, token.createdAt,
                        token.revokedAt,
                    ])
                changed += db.changesCount
            }
            return changed
        }
    }
}
