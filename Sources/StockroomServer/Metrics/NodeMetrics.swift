public import CoreMetrics
public import Prometheus
import StockroomCore
public import StockroomStore

/// The node's metrics, exposed at /metrics in Prometheus text format.
///
/// Made through swift-metrics with an explicit factory rather than the process-global
/// bootstrap, so tests can build many applications in one process.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let scans: CoreMetrics.Counter
    let scanErrors: CoreMetrics.Counter
    let scanLatency: CoreMetrics.Timer
    let opLogSize: CoreMetrics.Gauge
    let sqliteMemory: CoreMetrics.Gauge
    let commitBatch: CoreMetrics.Recorder
    private let factory: PrometheusMetricsFactory

    /// The factory, for services of other modules that record their own metrics (the
    /// outbox's delivery).
    public var factoryForServices: any MetricsFactory { factory }

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["stockroom_scan_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        factory.valueHistogramBuckets["stockroom_commit_batch_writes"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096]
        self.registry = registry
        self.factory = factory
        scans = Counter(label: "stockroom_scans_total", factory: factory)
        scanErrors = Counter(label: "stockroom_scan_errors_total", factory: factory)
        scanLatency = Timer(label: "stockroom_scan_duration_seconds", factory: factory)
        opLogSize = Gauge(label: "stockroom_op_log_last_lsn", factory: factory)
        sqliteMemory = Gauge(label: "stockroom_sqlite_memory_bytes", factory: factory)
        commitBatch = Recorder(label: "stockroom_commit_batch_writes", aggregate: true, factory: factory)
        // Every rule's refusal counter exists from the start at 0, so an alert on its
        // increase fires on the first refusal (a series born at 1 has no increase).
        for rule in OpRule.allCases {
            Counter(
                label: "stockroom_sync_refused_batches_total", dimensions: [("rule", rule.rawValue)], factory: factory
            )
            .increment(by: 0)
        }
    }

    /// Counts a peer's batch refused because an op broke `rule` (OpRules), labelled by rule
    /// (not by peer: a chain has thousands; `/v1/sync/status` names the peer).
    func syncRefused(rule: String) {
        Counter(label: "stockroom_sync_refused_batches_total", dimensions: [("rule", rule)], factory: factory)
            .increment()
    }

    /// `stockroom_build_info`: 1, labelled with what this binary is (Prometheus's
    /// `*_build_info` convention), so a dashboard can show which stores run which release.
    func recordBuild(role: String) {
        let protocols = StockroomVersion.protocols
        Gauge(
            label: "stockroom_build_info",
            dimensions: [
                ("version", StockroomVersion.current), ("schema", StockroomVersion.schema),
                ("protocols", "\(protocols.lowerBound)-\(protocols.upperBound)"), ("role", role),
            ], factory: factory
        ).record(1)
    }

    /// Called by the store after each group commit.
    public func didCommit(_ context: WriteContext, units: Int) {
        commitBatch.record(units)
    }

    /// The Prometheus text. Gauges that mirror the store are refreshed here, at scrape
    /// time, so they are right however the store was opened.
    public func exposition(store: StockroomStore) -> [UInt8] {
        opLogSize.record(store.writeContext.lastLSN)
        sqliteMemory.record(SQLiteMemory.bytesInUse)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return Self.withHelp(buffer)
    }

    /// What each metric means: the `# HELP` line Prometheus shows, and the README's table.
    /// swift-prometheus writes HELP only for metrics made on its registry with a help text
    /// (and traps when one name is made with two texts), while swift-metrics' factory
    /// passes none; so the lines are added to the exposition here, before each `# TYPE`.
    static let help: [String: String] = [
        "stockroom_build_info": "Always 1; labels name the release, SQLite schema, sync protocols and role.",
        "stockroom_scans_total": "Scans accepted (each line of a batch counts).",
        "stockroom_scan_errors_total": "Scan requests refused with an error.",
        "stockroom_scan_duration_seconds": "Time to answer a scan request, from parsed request to durable write.",
        "stockroom_op_log_last_lsn": "The op log's last local sequence number: ops written or applied here.",
        "stockroom_sqlite_memory_bytes": "SQLite's heap (mostly page caches).",
        "stockroom_commit_batch_writes": "Writes grouped into one SQLite commit.",
        "stockroom_sync_refused_batches_total": "Peer batches refused because an op broke a rule of sync-protocol 3.1.",
        "stockroom_outbox_oldest_undelivered_seconds": "Age of the oldest alert message waiting to be sent.",
        "stockroom_outbox_messages": "Alert messages in the outbox, by status.",
        "stockroom_notifications_total": "Alert message delivery attempts, by channel and result.",
        "stockroom_data_filesystem_avail_bytes": "Bytes free to the service on the data folder's filesystem.",
        "stockroom_data_filesystem_size_bytes": "Size of the data folder's filesystem.",
        "stockroom_database_size_bytes": "Size of the SQLite database file.",
        "stockroom_wal_size_bytes": "Size of the SQLite write-ahead log.",
        "stockroom_clock_offset_seconds": "The hub's clock minus this node's at the last sync round.",
        "stockroom_conflicts_open": "Conflicts (oversells, counts that disagree) open for a person.",
        "stockroom_sync_last_success_timestamp_seconds": "When the last sync round with a peer completed.",
        "stockroom_sync_pending_in_ops": "Ops a peer said it holds that this node has not pulled.",
        "stockroom_sync_unpushed_ops": "This node's ops its hub has not acknowledged.",
        "stockroom_sync_consecutive_failures": "Sync rounds with a peer URL that failed in a row.",
        "stockroom_hub_log_last_followed_timestamp_seconds":
            "When this hub process last caught up with the PostgreSQL log.",
        "stockroom_tls_certificate_expiry_timestamp_seconds": "When the served TLS certificate expires.",
    ]

    static func withHelp(_ exposition: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(exposition.count + 2048)
        let prefix = Array("# TYPE ".utf8)
        for line in exposition.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if line.starts(with: prefix) {
                let name = line.dropFirst(prefix.count).prefix { $0 != 0x20 }
                if let text = help[String(decoding: name, as: UTF8.self)] {
                    out += Array("# HELP ".utf8) + name + [0x20] + Array(text.utf8) + [0x0A]
                }
            }
            out += line
            out.append(0x0A)
        }
        if out.last == 0x0A && exposition.last == 0x0A { out.removeLast() }
        return out
    }
}
