public import Logging
public import PostgresNIO

/// The hub log's schema on PostgreSQL, and how it is brought up to date.
///
/// Migrations run on every start and from `stockroom migrate`. Several processes may start
/// at once: each takes the one row of `stockroom_migration_lock` `FOR UPDATE`, applies the
/// migrations not yet listed in `stockroom_schema` in that transaction, and commits; the
/// others wait on the row, then find nothing to do (section 14.4). No advisory lock: the
/// same SQL is meant for CockroachDB and YugabyteDB.
public enum PostgresMigrations {
    /// Each migration: its version and its statements, in order. Append only.
    static let migrations: [(version: Int32, statements: [String])] = [
        (
            1,
            [
                "CREATE TABLE hub_meta (key text PRIMARY KEY, value text NOT NULL)",
                "CREATE TABLE origin_progress (origin text PRIMARY KEY, high_seq bigint NOT NULL)",
                "CREATE TABLE log_head (id integer PRIMARY KEY, position bigint NOT NULL)",
                "INSERT INTO log_head (id, position) VALUES (1, 0)",
                // One row per pushed batch (its fresh ops), in BatchCodec's encoding.
                // PostgreSQL compresses large bodies itself (TOAST).
                """
                CREATE TABLE op_chunks (
                    position bigint PRIMARY KEY,
                    origin text NOT NULL,
                    first_seq bigint NOT NULL,
                    last_seq bigint NOT NULL,
                    op_count integer NOT NULL,
                    body bytea NOT NULL,
                    committed_at timestamptz NOT NULL DEFAULT now())
                """,
                "CREATE UNIQUE INDEX op_chunks_by_origin ON op_chunks (origin, first_seq)",
            ]
        ),
        (
            2,
            [
                // Bearer tokens shared by every hub process (digests only, as in SQLite):
                // a token made or revoked on one process holds on all within seconds.
                """
                CREATE TABLE hub_tokens (
                    id text PRIMARY KEY,
                    role text NOT NULL,
                    node text,
                    label text NOT NULL,
                    secret_sha256 bytea NOT NULL,
                    created_at bigint NOT NULL,
                    revoked_at bigint)
                """
            ]
        ),
        (
            3,
            [
                // The stores a batch concerns (SyncInterest.concernedNodes), NULL when it
                // concerns every store: a store's pull fetches only its batches' bodies.
                "ALTER TABLE op_chunks ADD COLUMN stores text[]"
            ]
        ),
        (
            4,
            [
                // Each hub process's replica cut, published once its own earlier ops are
                // all in the log: their minimum is what every later count of any process
                // has seen (sync-protocol section 15.4, rules K1 and K2 over PostgreSQL).
                """
                CREATE TABLE hub_process_cuts (
                    node text PRIMARY KEY,
                    cut text NOT NULL,
                    published_at bigint NOT NULL)
                """
            ]
        ),
        (
            5,
            [
                // Dashboard users shared by every hub process, last writer wins per user
                // (UserRecord), and the dashboard's sessions themselves, so a browser can
                // be sent to any process behind the load balancer.
                """
                CREATE TABLE hub_users (
                    name text PRIMARY KEY,
                    display_name text NOT NULL,
                    role text NOT NULL,
                    password_hash text NOT NULL,
                    created_at bigint NOT NULL,
                    password_changed_at bigint NOT NULL,
                    disabled_at bigint,
                    last_sign_in_at bigint,
                    version_ms bigint NOT NULL,
                    version_node text NOT NULL)
                """,
                """
                CREATE TABLE hub_web_sessions (
                    key text PRIMARY KEY,
                    value bytea NOT NULL,
                    expires_at bigint)
                """,
                "CREATE INDEX hub_web_sessions_expiry ON hub_web_sessions (expires_at)",
            ]
        ),
    ]

    /// The newest schema version this binary knows.
    public static var known: Int32 { migrations.last!.version }

    /// Brings the schema up to date. Idempotent and safe to run from several processes at
    /// once. Throws ``PostgresSchemaError/newer(found:known:)`` before changing anything
    /// when the database holds a newer schema.
    /// - Returns: the versions it applied (empty when there was nothing to do).
    @discardableResult
    public static func run(on hosts: PostgresHosts, logger: Logger) async throws -> [Int32] {
        try await bootstrap(hosts, logger: logger)
        return try await PostgresRetry.transaction(hosts, logger: logger) { connection in
            try await connection.query(
                "SELECT id FROM stockroom_migration_lock WHERE id = 1 FOR UPDATE", logger: logger)
            let applied = try await versions(connection, logger: logger)
            if let newest = applied.max(), newest > known {
                throw PostgresSchemaError.newer(found: newest, known: known)
            }
            var done: [Int32] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO stockroom_schema (version) VALUES (\(migration.version))", logger: logger)
                done.append(migration.version)
            }
            return done
        }
    }

    /// The versions applied so far, without changing anything (for `stockroom migrate --dry-run`).
    public static func status(
        on hosts: PostgresHosts, logger: Logger
    ) async throws -> (
        applied: [Int32], pending: [Int32]
    ) {
        try await PostgresRetry.run(hosts, logger: logger) { connection in
            var exists = false
            for try await value in try await connection.query(
                "SELECT to_regclass('stockroom_schema') IS NOT NULL", logger: logger
            ).decode(Bool.self) { exists = value }
            let applied = exists ? try await versions(connection, logger: logger) : []
            return (applied.sorted(), migrations.map(\.version).filter { !applied.contains($0) })
        }
    }

    static func versions(_ connection: PostgresConnection, logger: Logger) async throws -> Set<Int32> {
        var applied: Set<Int32> = []
        for try await version in try await connection.query(
            "SELECT version FROM stockroom_schema", logger: logger
        ).decode(Int32.self) { applied.insert(version) }
        return applied
    }

    /// The two bookkeeping tables. `CREATE TABLE IF NOT EXISTS` from two sessions at once
    /// can still fail on the catalog's unique index (23505), find its row type made (42710) or find the table made
    /// meanwhile (42P07): then the other session made it, and one more pass finds it.
    static func bootstrap(_ hosts: PostgresHosts, logger: Logger) async throws {
        for attempt in 1...5 {
            do {
                try await PostgresRetry.run(hosts, logger: logger) { connection in
                    try await connection.query(
                        "CREATE TABLE IF NOT EXISTS stockroom_migration_lock (id integer PRIMARY KEY)", logger: logger)
                    try await connection.query(
                        "INSERT INTO stockroom_migration_lock (id) VALUES (1) ON CONFLICT (id) DO NOTHING",
                        logger: logger)
                    try await connection.query(
                        """
                        CREATE TABLE IF NOT EXISTS stockroom_schema (
                            version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                        """, logger: logger)
                }
                return
            } catch let error as PSQLError
                where attempt < 5 && ["23505", "42P07", "42710"].contains(error.serverInfo?[.sqlState] ?? "")
            {
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
    }
}

public enum PostgresSchemaError: Error, Equatable, CustomStringConvertible {
    case newer(found: Int32, known: Int32)
    case corrupt(String)
    /// The database holds no hub log (for tools that must not create one).
    case noLog

    public var description: String {
        switch self {
        case .newer(let found, let known):
            "this PostgreSQL database was migrated by a newer stockroom (its schema has version \(found); this binary knows up to \(known)): install that version or newer; nothing was changed"
        case .corrupt(let what): "the PostgreSQL hub log holds a bad value: \(what)"
        case .noLog:
            "this PostgreSQL database holds no hub log: start 'stockroom serve --role hub --database URL' or run 'stockroom hub export-to-postgres' first"
        }
    }
}
