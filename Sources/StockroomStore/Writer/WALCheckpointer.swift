import GRDB
import Logging
import Synchronization

/// Moves WAL frames into the database file on its own connection, so the writer never
/// pays for a checkpoint inside a scan's commit.
///
/// SQLite's default (`wal_autocheckpoint = 1000`) runs the checkpoint in whichever commit
/// crosses 1000 pages: every ~200 scans one of them waited several milliseconds, which
/// was the whole p99. Here the writer's connection has auto-checkpoint off and this task
/// runs a PASSIVE checkpoint every `interval`: it never blocks the writer or readers, and
/// the WAL restarts from its beginning at the next commit once it has been fully copied.
///
/// Crash safety is SQLite's: frames not yet checkpointed are replayed from the WAL on
/// the next open.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(path: String, interval: Duration = .milliseconds(250), logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let connection = self.connection
        task.withLock {
            $0 = Task.detached(priority: .utility) {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    do {
                        try await connection.writeWithoutTransaction { db in
                            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
                        }
                    } catch {
                        logger.debug("checkpoint skipped", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}
