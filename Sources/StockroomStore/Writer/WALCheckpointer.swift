import GRDB
import Logging
import Synchronization

/// Keeps the WAL small without making commits pay for checkpoints.
///
/// SQLite's default (`wal_autocheckpoint = 1000`) runs a checkpoint inside whichever
/// commit crosses 1000 pages: every ~200 scans one of them waited several milliseconds,
/// which was the whole single-scanner p99. So the writer's connection has auto-checkpoint
/// off, and:
///
/// 1. This type runs a PASSIVE checkpoint every `interval` on its own connection. It
///    copies WAL frames into the database file without blocking the writer or readers.
/// 2. Under continuous writes a passive checkpoint never quite catches up, so the WAL
///    would never restart and would grow without bound. When it holds more than
///    ``restartThreshold`` frames, ``writerMaintenance(_:)`` (called by the writer between
///    batches) runs a RESTART checkpoint on the writer's connection: by then nearly every
///    frame is already copied, so it is short, and the next commit starts the WAL over
///    (truncated to `journal_size_limit`).
///
/// Crash safety is SQLite's: frames not yet checkpointed are replayed on the next open.
final class WALCheckpointer: Sendable {
    /// 16,384 frames of 4 KiB: a 64 MiB WAL.
    static let restartThreshold = 16_384

    private let connection: DatabaseQueue
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// Frames in the WAL as of the last checkpoint.
    private let walFrames = Atomic<Int>(0)

    init(path: String, interval: Duration = .milliseconds(200), logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        task.withLock {
            $0 = Task.detached(priority: .utility) { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    do {
                        let frames = try await self.connection.writeWithoutTransaction { db in
                            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { $0[1] as Int } ?? 0
                        }
                        self.walFrames.store(frames, ordering: .relaxed)
                    } catch {
                        logger.debug("checkpoint skipped", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Called by the writer between batches, on its connection, outside any transaction.
    func writerMaintenance(_ db: Database) {
        guard walFrames.load(ordering: .relaxed) > Self.restartThreshold else { return }
        walFrames.store(0, ordering: .relaxed)
        _ = try? Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(RESTART)")
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}
