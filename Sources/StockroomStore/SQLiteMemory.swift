import GRDBSQLite

/// SQLite's own heap in this process, for /metrics and the soak: how much of the RSS is
/// page cache (bounded by `cache_size` per connection) rather than the daemon's objects.
public enum SQLiteMemory {
    /// Bytes SQLite holds now, page caches of every connection included.
    public static var bytesInUse: Int64 { sqlite3_memory_used() }

    /// The most SQLite has held at once since the process started.
    public static var highWaterBytes: Int64 { sqlite3_memory_highwater(0) }
}
