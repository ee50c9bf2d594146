public import Foundation
import NIOCore
import PostgresNIO
public import StockroomCore

extension PostgresHubLog {
    /// A bearer token as the hub processes share it: its digest, never its secret.
    public typealias SharedToken = TokenRecord

    /// Publishes tokens one process holds: new ones are added, a revocation is kept (never
    /// undone). Idempotent; one transaction.
    public func publishTokens(_ tokens: [SharedToken]) async throws {
        guard !tokens.isEmpty else { return }
        try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            for token in tokens {
                try await connection.query(
                    """
                    INSERT INTO hub_tokens (id, role, node, label, secret_sha256, created_at, revoked_at)
                    VALUES (\(token.id), \(token.role), \(token.node), \(token.label),
                            \(ByteBuffer(bytes: token.secretSHA256)), \(token.createdAt), \(token.revokedAt))
                    ON CONFLICT (id) DO UPDATE SET revoked_at = coalesce(hub_tokens.revoked_at, excluded.revoked_at)
                    WHERE hub_tokens.revoked_at IS NULL AND excluded.revoked_at IS NOT NULL
                    """, logger: self.logger)
            }
        }
    }

    /// Every shared token.
    public func sharedTokens() async throws -> [SharedToken] {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var tokens: [SharedToken] = []
            for try await (id, role, node, label, digest, created, revoked) in try await connection.query(
                "SELECT id, role, node, label, secret_sha256, created_at, revoked_at FROM hub_tokens ORDER BY id",
                logger: self.logger
            ).decode((String, String, String?, String, ByteBuffer, Int64, Int64?).self) {
                tokens.append(
                    SharedToken(
                        id: id, role: role, node: node, label: label, secretSHA256: Data(digest.readableBytesView),
                        createdAt: created, revokedAt: revoked))
            }
            return tokens
        }
    }
}
