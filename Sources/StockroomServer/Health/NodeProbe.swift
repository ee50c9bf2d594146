import CoreMetrics
import Foundation
import NIOSSL
import StockroomCore
public import StockroomStore
public import StockroomSync

#if canImport(Glibc)
import Glibc
#endif

/// What `/readyz` and the scrape-time gauges of `/metrics` read off a running node: the
/// data folder's disk, the database files, the sync peers, the hub log, the TLS certificate.
///
/// Everything here reads; nothing is written but one empty write transaction per readiness
/// check (it proves the writer can take SQLite's write lock, and writes no WAL frame).
public struct NodeProbe: Sendable {
    public let store: StockroomStore
    public let dataDirectory: String
    public var sync: [SyncService] = []
    public var replica: HubReplica?
    /// The PEM certificate chain served (`--tls-cert`); its first certificate's expiry is
    /// exported.
    public var certificatePath: String?

    /// Below this much free space on the data folder's filesystem the node says it is not
    /// ready: SQLite needs room for the WAL and a checkpoint, and a write that fails for
    /// lack of space fails a scan.
    public static let minimumFreeBytes: UInt64 = 256 << 20
    /// A hub process over PostgreSQL that has not caught up with the log for this long is
    /// not ready: its pushes would fail or wait (the database is down or unreachable).
    public static let hubLogStaleMillis: UInt64 = 15_000

    public init(store: StockroomStore, dataDirectory: String) {
        self.store = store
        self.dataDirectory = dataDirectory
    }

    /// One readiness check, by name: `ok` and, when not, what to do.
    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String
    }

    /// Whether this node can take writes now. Never throws: a failure is a failed check.
    public func readiness() async -> [Check] {
        var checks: [Check] = []
        do {
            try await store.probeWriteLock()
            checks.append(Check(name: "database", ok: true, detail: "writable"))
        } catch {
            checks.append(
                Check(name: "database", ok: false, detail: "cannot take the write lock: \(error)"))
        }
        do {
            let pending = try await store.pendingMigrations()
            checks.append(
                pending.isEmpty
                    ? Check(name: "migrations", ok: true, detail: StockroomVersion.schema)
                    : Check(
                        name: "migrations", ok: false,
                        detail: "pending: \(pending.joined(separator: ", ")); restart the node to apply them"))
        } catch {
            checks.append(Check(name: "migrations", ok: false, detail: "\(error)"))
        }
        if let disk = FilesystemFigures(path: dataDirectory) {
            checks.append(
                disk.availableBytes >= Self.minimumFreeBytes
                    ? Check(name: "disk", ok: true, detail: "\(disk.availableBytes >> 20) MiB free")
                    : Check(
                        name: "disk", ok: false,
                        detail:
                            "\(disk.availableBytes >> 20) MiB free on the data folder's filesystem (needs \(Self.minimumFreeBytes >> 20) MiB); free space or move the data folder"
                    ))
        } else {
            checks.append(Check(name: "disk", ok: false, detail: "cannot read the data folder's filesystem"))
        }
        if let reason = store.recoveringFrom {
            checks.append(
                Check(
                    name: "recovery", ok: false,
                    detail: "getting its own history back from its hub (\(reason)); writes resume after one sync round")
            )
        }
        if let replica {
            let now = store.wallClockMillis()
            switch replica.lastFollowedMillis {
            case .some(let at) where now < at + Self.hubLogStaleMillis:
                checks.append(Check(name: "hub_log", ok: true, detail: "followed \((now &- at) / 1000) s ago"))
            case .some(let at):
                checks.append(
                    Check(
                        name: "hub_log", ok: false,
                        detail:
                            "PostgreSQL hub log last followed \((now - at) / 1000) s ago; check the database (see the log)"
                    ))
            case nil:
                checks.append(Check(name: "hub_log", ok: false, detail: "PostgreSQL hub log not followed yet"))
            }
        }
        return checks
    }

    /// Sets the gauges that mirror the node's state, just before a scrape.
    func refresh(_ metrics: any MetricsFactory) async {
        let gauge = { (label: String, dimensions: [(String, String)]) in
            Gauge(label: label, dimensions: dimensions, factory: metrics)
        }
        if let disk = FilesystemFigures(path: dataDirectory) {
            gauge("stockroom_data_filesystem_avail_bytes", []).record(Double(disk.availableBytes))
            gauge("stockroom_data_filesystem_size_bytes", []).record(Double(disk.sizeBytes))
        }
        let database = store.databasePath
        gauge("stockroom_database_size_bytes", []).record(Double(Self.fileSize(database)))
        gauge("stockroom_wal_size_bytes", []).record(Double(Self.fileSize(database + "-wal")))
        if let offset = store.clockOffset.measuredMillis {
            gauge("stockroom_clock_offset_seconds", []).record(Double(offset) / 1000)
        }
        if let conflicts = try? await store.openConflictCount() {
            gauge("stockroom_conflicts_open", []).record(Double(conflicts))
        }
        if let outbox = try? await store.outboxFigures(now: store.wallClockMillis()) {
            for status in ["pending", "sent", "dead", "cancelled"] {
                gauge("stockroom_outbox_messages", [("status", status)]).record(outbox.byStatus[status] ?? 0)
            }
            gauge("stockroom_outbox_oldest_undelivered_seconds", []).record(Double(outbox.oldestMillis) / 1000)
        }
        // Per sync peer: on a store its hub, on a hub each store that has pushed or pulled.
        let logNode = replica?.identity.node.rawValue
        let ownSeq = store.writeContext.knowledge[store.nodeID]
        let pushingTo = Set(sync.filter { $0.client.mode != .pullOnly }.compactMap { $0.status.peer })
        for peer in (try? await store.allPeerProgress()) ?? [] where peer.peer != logNode {
            let labels = [("peer", peer.peer)]
            if let at = peer.lastSuccessMillis {
                gauge("stockroom_sync_last_success_timestamp_seconds", labels).record(Double(at) / 1000)
            }
            gauge("stockroom_sync_pending_in_ops", labels).record(Double(peer.pendingIn ?? 0))
            if pushingTo.contains(peer.peer) {
                gauge("stockroom_sync_unpushed_ops", labels).record(
                    Double(ownSeq > peer.pushedSeq ? ownSeq - peer.pushedSeq : 0))
            }
        }
        for service in sync {
            let status = service.status
            gauge("stockroom_sync_consecutive_failures", [("url", status.url)]).record(status.consecutiveFailures)
        }
        if let followed = replica?.lastFollowedMillis {
            gauge("stockroom_hub_log_last_followed_timestamp_seconds", []).record(Double(followed) / 1000)
        }
        if let certificatePath, let expiry = Self.certificateExpiry(certificatePath) {
            gauge("stockroom_tls_certificate_expiry_timestamp_seconds", []).record(Double(expiry))
        }
    }

    /// A file's size, 0 when it does not exist (a WAL after a clean close).
    static func fileSize(_ path: String) -> UInt64 { UInt64((try? NodeBackup.size(path)) ?? 0) }

    /// The `notAfter` of the first certificate in a PEM file, in seconds since 1970; nil
    /// when the file holds no readable PEM certificate.
    public static func certificateExpiry(_ path: String) -> Int? {
        guard let first = try? NIOSSLCertificate.fromPEMFile(path).first else { return nil }
        return Int(first.notValidAfter)
    }
}

/// Free and total bytes of the filesystem holding a path (statvfs), as an unprivileged
/// user sees them.
public struct FilesystemFigures: Sendable {
    public var availableBytes: UInt64
    public var sizeBytes: UInt64

    public init?(path: String) {
        var figures = statvfs()
        guard statvfs(path, &figures) == 0 else { return nil }
        availableBytes = UInt64(figures.f_bavail) * UInt64(figures.f_frsize)
        sizeBytes = UInt64(figures.f_blocks) * UInt64(figures.f_frsize)
    }
}
