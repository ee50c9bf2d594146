import ArgumentParser
import Configuration
import Foundation
import PostgresNIO
import StockroomPostgres
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

    @Option(
        help:
            "A hub's PostgreSQL database (postgres://…): migrate its schema (several hub processes may be running an older version; stop them first for a release that says so)."
    )
    var database: String?

    func run() async throws {
        let reader = try await options.reader()
        if let text = database ?? reader.string(forKey: "database") {
            try await migratePostgres(text, reader: reader)
            // The data folder is then a hub process's replica: migrated too when present.
            if options.data == nil && reader.string(forKey: "data") == nil { return }
        }
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

    func migratePostgres(_ text: String, reader: ConfigReader) async throws {
        let url: PostgresURL
        do {
            url = try PostgresURL(text)
        } catch {
            throw ValidationError("--database: \(error)")
        }
        let logger = try options.bootstrapLogging(reader)
        let client = PostgresHosts(url, logger: logger)
        defer { client.close() }
        do {
            let before = try await PostgresMigrations.status(on: client, logger: logger)
            print(
                "schema of \(url.redacted): \(before.applied.last.map { "version \($0)" } ?? "empty") (this binary knows up to \(PostgresMigrations.known))"
            )
            if let newest = before.applied.last, newest > PostgresMigrations.known {
                throw ValidationError(
                    PostgresSchemaError.newer(found: newest, known: PostgresMigrations.known).description)
            }
            if before.pending.isEmpty {
                print("up to date")
                return
            }
            print("to apply: \(before.pending.map { "version \($0)" }.joined(separator: ", "))")
            if dryRun { return }
            let applied = try await PostgresMigrations.run(on: client, logger: logger)
            print(
                applied.isEmpty
                    ? "another process applied them meanwhile; up to date"
                    : "applied \(applied.map { "version \($0)" }.joined(separator: ", "))")
        } catch let error as PSQLError {
            throw ValidationError(PostgresFailure(what: "migrating \(url.redacted)", error: error).description)
        }
    }
}
