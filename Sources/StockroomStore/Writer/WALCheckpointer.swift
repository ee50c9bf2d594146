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
/// 2. Under continuous writes a passive checkpoint never quite catches up (the writer
///    keeps appending), so the WAL would never restart and would grow without bound.
///    When it holds more than ``restartThreshold`` frames, ``writerMaintenance(_:)``
///    (called by the writer between batches, when no frame can be appended) runs one more
///    PASSIVE checkpoint on the writer's own connection. Nearly every frame is already
///    copied, so it is short, and once all are, SQLite starts the WAL over at the next
///    commit (truncated to `journal_size_limit`). Not RESTART: RESTART waits, through the
///    busy handler, for readers to leave the WAL, and those waits were the writer's p99.
///
/// Crash safety is SQLite's: frames not yet checkpointed are replayed on the next open.
final class WALCheckpointer: Sendable {
    /// 16,384 frames of 4 KiB: a 64 MiB WAL. Under sustained load the writer pauses for
    /// one catch-up checkpoint each time the WAL reaches this; under bursty store traffic
    /// the WAL restarts in the gaps and the writer never pauses. (256 MiB was tried: the
    /// larger WAL index made every page lookup slower and p99 worse.)
    static let restartThreshold = 16_384
    /// Above this many frames the background pass runs back to back instead of every
    /// `interval`, so it keeps up with a writer at full speed.
    static let busyFrames = 4_096
    /// The writer catches up only when the last background pass left fewer frames than
    /// this to copy, so the pause stays a few milliseconds.
    static let catchUpLimit = 2_048

    private let connection: DatabaseQueue
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// Frames in the WAL, and those not yet copied, as of the last background pass.
    private let walFrames = Atomic<Int>(0)
    private let uncopiedFrames = Atomic<Int>(0)

    init(path: String, interval: Duration = .milliseconds(100), logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        task.withLock {
            $0 = Task.detached(priority: .utility) { [weak self] in
                while !Task.isCancelled {
                    let behind = (self?.walFrames.load(ordering: .relaxed) ?? 0) > Self.busyFrames
                    try? await Task.sleep(for: behind ? .milliseconds(5) : interval)
                    guard let self else { return }
                    do {
                        let (frames, copied) = try await self.connection.writeWithoutTransaction { db in
                            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
                            return (row.map { $0[1] as Int } ?? 0, row.map { $0[2] as Int } ?? 0)
                        }
                        self.walFrames.store(frames, ordering: .relaxed)
                        self.uncopiedFrames.store(max(0, frames - copied), ordering: .relaxed)
                    } catch {
                        logger.debug("checkpoint skipped", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Called by the writer between batches, on its connection, outside any transaction.
    func writerMaintenance(_ db: Database) {
        guard walFrames.load(ordering: .relaxed) > Self.restartThreshold,
            uncopiedFrames.load(ordering: .relaxed) < Self.catchUpLimit
        else { return }
        // Columns: busy (another checkpoint held the lock), frames in the WAL, frames copied.
        guard let row = try? Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { return }
        let (busy, frames, copied): (Int, Int, Int) = (row[0], row[1], row[2])
        if busy == 0 && frames == copied { walFrames.store(0, ordering: .relaxed) }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}
