import StockroomPostgres
import StockroomStore
import StockroomSync

/// What this binary is: its release, the schema it writes and the sync protocols it speaks.
///
/// ``current`` is the one place the release number is written. `make package` reads it
/// from `stockroom --version`, so the .deb, the banner, `/healthz`, `/metrics`
/// (`stockroom_build_info`) and backup manifests cannot disagree.
public enum StockroomVersion {
    /// The release (semantic versioning). Releases before 1.0.0 all called themselves 0.1.0;
    /// fixtures/ names them by the issue that made them.
    public static let current = "1.0.0"

    /// The newest SQLite migration this binary knows, e.g. `v10-user-versions`.
    public static var schema: String { SchemaStatus.current }
    /// Its number: how many migrations that is.
    public static var schemaNumber: Int { SchemaStatus.known }
    /// The sync protocol versions this binary answers and sends (sync-protocol section 8);
    /// a peer speaks the highest both know.
    public static var protocols: ClosedRange<Int> { SyncMessages.supportedVersions }
    /// The newest schema of a hub's PostgreSQL log this binary knows.
    public static var postgresSchema: Int { Int(PostgresMigrations.known) }

    /// `stockroom --version`: the release on the first line (what scripts read), then the rest.
    public static var summary: String {
        """
        \(current)
        schema: \(schema) (SQLite migration \(schemaNumber)); hub on PostgreSQL: schema \(postgresSchema)
        sync protocols: \(protocols.lowerBound) to \(protocols.upperBound)
        """
    }
}
