import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Backups on a schedule, without cron (config `backup_dir`, `backup_every`,
/// `backup_keep`): the first one an interval after start (or at once when the newest in
/// the folder is older than that), then every interval. The copy runs on NIO's blocking
/// pool, never on a request's thread. A failed backup is logged as an error and tried again
/// at the next interval; the node goes on serving.
struct BackupService: Service {
    let data: DataDirectory
    let directory: String
    let interval: Duration
    let keep: Int
    let logger: Logger

    func run() async throws {
        var wait = interval
        if let newest = NodeBackup.list(directory).last,
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + newest),
            let made = attributes[.modificationDate] as? Date
        {
            let age = Duration.milliseconds(Int64(max(0, Date().timeIntervalSince(made) * 1000)))
            wait = age >= interval ? .seconds(5) : interval - age
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
            wait = interval
            let (data, directory, keep) = (data, directory, keep)
            do {
                let started = ContinuousClock.now
                let result = try await NIOThreadPool.singleton.runIfActive {
                    try NodeBackup.take(data: data, into: directory, keep: keep)
                }
                logger.info(
                    "backup taken",
                    metadata: [
                        "backup.folder": "\(result.folder)", "backup.ops": "\(result.manifest.ops)",
                        "backup.bytes": "\(result.manifest.bytes)",
                        "backup.duration": "\(ContinuousClock.now - started)",
                        "backup.removed": "\(result.removed.count)",
                    ])
            } catch {
                logger.error("backup failed; trying again next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
