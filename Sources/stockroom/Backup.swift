import ArgumentParser
import Foundation
import StockroomServer
import StockroomStore

#if canImport(Glibc)
import Glibc
#endif

/// `stockroom backup --to DIR`: an online, consistent, verified backup of a node's SQLite
/// database, with a retention policy (README "Backups").
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up a node's database while it serves (consistent, verified; keeps the newest N).",
        discussion: """
            Copies the database with SQLite's online backup API as of one instant (scans go on \
            meanwhile), checks the copy, writes MANIFEST.json with its SHA-256, and deletes the \
            oldest backups beyond --keep. Each backup is a folder stockroom-YYYYMMDDTHHMMSSZ in \
            DIR. Exits 1 when the backup fails; nothing half-made is left.
            """)

    @OptionGroup var options: NodeOptions

    @Option(name: .customLong("to"), help: "The folder the backups go in (made if missing).")
    var directory: String

    @Option(help: "How many backups to keep in the folder, newest first (default 7).")
    var keep: Int = 7

    func validate() throws {
        guard keep >= 1 else { throw ValidationError("--keep must be 1 or more") }
    }

    func run() async throws {
        let reader = try await options.reader()
        let data = DataDirectory(path: options.dataDirectory(reader))
        // A backup gives way to the daemon it runs beside: the scanners' commits first.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        let started = Date()
        do {
            let (folder, manifest, removed) = try NodeBackup.take(data: data, into: directory, keep: keep)
            print("backed up \(manifest.node ?? "the node") to \(folder)")
            print("  \(manifest.ops) ops, \(manifest.bytes) bytes, sha256 \(manifest.sha256)")
            print("  took \(String(format: "%.1f", Date().timeIntervalSince(started))) s; verified")
            for name in removed { print("  removed the old backup \(name) (keeping \(keep))") }
        } catch let failure as NodeBackup.Failure {
            throw ValidationError(failure.description)
        }
    }
}

/// `stockroom restore --from BACKUP --data DIR`: puts a backup back, checked.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a node's data folder from a backup made by 'stockroom backup'.",
        discussion: """
            Verifies the backup (SHA-256 and SQLite's integrity check), refuses a folder a \
            stockroom is serving, and refuses a folder holding a database unless --replace \
            (the old file is kept beside it). Then runs the checks of 'stockroom check' on the \
            result. A store restored this way gets back from its hub what it had synced since.
            """)

    @OptionGroup var options: NodeOptions

    @Option(name: .customLong("from"), help: "A backup folder (stockroom-YYYYMMDDTHHMMSSZ).")
    var folder: String

    @Flag(help: "Restore over a folder that holds a database (it is set aside, not deleted).")
    var replace = false

    func run() async throws {
        let reader = try await options.reader()
        let data = DataDirectory(path: options.dataDirectory(reader))
        let manifest: NodeBackup.Manifest
        do {
            manifest = try NodeBackup.restore(from: folder, into: data, replace: replace)
        } catch let failure as NodeBackup.Failure {
            throw ValidationError(failure.description)
        }
        let logger = try options.bootstrapLogging(reader)
        let store = try data.openStore(nodeID: nil, logger: logger)
        let report = try await store.verify()
        // A store's backup may be older than what its hub holds under its name: it takes
        // that back before it writes again (sync-protocol section 15.1).
        if try await store.storedRole() == "edge", try await store.hasSynced() {
            try await store.beginRecovery(because: "its folder was restored from a backup of \(manifest.createdAt)")
        }
        print("restored \(manifest.node ?? "the node") as of \(manifest.createdAt) into \(data.path)")
        print(
            "  \(report.ops) ops; file integrity \(report.integrityProblems.isEmpty ? "ok" : "DAMAGED"); state vs log \(report.isHealthy ? "ok" : "DIFFERENT")"
        )
        guard report.isHealthy else {
            throw ValidationError(
                "the restored database does not check out: run 'stockroom check --repair --data \(data.path)'")
        }
        print("  start it with: stockroom serve --data \(data.path)")
        if store.recoveringFrom != nil {
            print("  it takes back from its hub what it had synced since, before it accepts scans again")
        }
    }
}
