import ArgumentParser
import Foundation
import StockroomServer
import StockroomStore

/// `stockroom migrate`: brings a data folder's schema up to this binary's, alone, for
/// operators who migrate before they start the new version. `serve` does the same on
/// start; running both, or two at once, is safe (each migration is one transaction, and
/// one that has run is never run again).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply this version's schema migrations to a data folder, and say which ran.",
        discussion: """
            Refuses a folder written by a newer stockroom (a downgrade) without changing it. \
            Safe while nothing serves the folder, and safe to run twice.
            """)

    @OptionGroup var options: NodeOptions

    @Flag(help: "Only say which migrations are applied and which would run.")
    var dryRun = false

    func run() async throws {
        let reader = try await options.reader()
        let data = DataDirectory(path: options.dataDirectory(reader))
        guard FileManager.default.fileExists(atPath: data.databasePath) else {
            throw ValidationError("no node in \(data.path): nothing to migrate")
        }
        do {
            let before = try SchemaStatus.read(path: data.databasePath)
            print("schema of \(data.path): \(before.applied.last ?? "empty") (\(before.applied.count) migrations)")
            if before.pending.isEmpty {
                print("up to date: this binary's newest is \(before.applied.last ?? "none")")
                return
            }
            print("to apply: \(before.pending.joined(separator: ", "))")
            if dryRun { return }
            let logger = try options.bootstrapLogging(reader)
            try data.lock()
            _ = try data.openStore(nodeID: nil, logger: logger)
            let after = try SchemaStatus.read(path: data.databasePath)
            print("applied; schema is now \(after.applied.last ?? "empty")")
        } catch let error as StoreError {
            throw ValidationError(error.description)
        } catch let error as DataDirectory.LockError {
            throw ValidationError(error.description)
        }
    }
}
