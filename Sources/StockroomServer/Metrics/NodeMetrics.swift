public import CoreMetrics
public import Prometheus
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
        factory.valueHistogramBuckets["stockroom_commit_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096]
        self.registry = registry
        self.factory = factory
        scans = Counter(label: "stockroom_scans_total", factory: factory)
        scanErrors = Counter(label: "stockroom_scan_errors_total", factory: factory)
        scanLatency = Timer(label: "stockroom_scan_duration_seconds", factory: factory)
        opLogSize = Gauge(label: "stockroom_op_log_size", factory: factory)
        sqliteMemory = Gauge(label: "stockroom_sqlite_memory_bytes", factory: factory)
        commitBatch = Recorder(label: "stockroom_commit_batch_size", aggregate: true, factory: factory)
    }

    /// Counts a peer's batch refused because an op broke `rule` (OpRules), labelled by rule
    /// (not by peer: a chain has thousands; `/v1/sync/status` names the peer).
    func syncRefused(rule: String) {
        Counter(label: "stockroom_sync_refused_batches_total", dimensions: [("rule", rule)], factory: factory)
            .increment()
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
        return buffer
    }
}
