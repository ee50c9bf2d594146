import ArgumentParser
import Foundation
import Logging
import StockroomCore
import StockroomPostgres
import StockroomServer
import StockroomStore

/// `stockroom hub …`: the PostgreSQL hub log's own tools (README "Hub on PostgreSQL").
struct Hub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tools for a hub whose op log is in PostgreSQL.",
        subcommands: [ExportToPostgres.self, CheckLog.self, Restored.self, ForgetProcess.self])

    /// The database URL from --database, STOCKROOM_DATABASE or the config file's `database`.
    /// Sets up logging unless the caller did (`bootstrap` false).
    static func database(
        _ flag: String?, _ options: NodeOptions, bootstrap: Bool = true
    ) async throws -> (
        PostgresURL, Logger
    ) {
        let reader = try await options.reader()
        let logger = bootstrap ? try options.bootstrapLogging(reader) : Logger(label: "stockroom")
        guard let text = flag ?? reader.string(forKey: "database") else {
            throw ValidationError("give the hub's database: --database postgres://USER@HOST/DB (or STOCKROOM_DATABASE)")
        }
        do {
            return (try PostgresURL(text), logger)
        } catch {
            throw ValidationError("--database: \(error)")
        }
    }

    /// Opens the log, waiting at most 30 s for the database; errors become messages.
    static func open(_ url: PostgresURL, node: NodeID?, logger: Logger) async throws -> PostgresHubLog {
        do {
            return try await PostgresHubLog.open(url, proposedNode: node, logger: logger, waitLimit: .seconds(30))
        } catch let error as PostgresSchemaError {
            throw ValidationError(error.description)
        } catch let error as PostgresUnavailable {
            throw ValidationError(error.description)
        } catch let error as PostgresFailure {
            throw ValidationError(error.description)
        }
    }

    struct ExportToPostgres: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-to-postgres",
            abstract: "Move a SQLite hub's op log and tokens into PostgreSQL, and verify the result.",
            discussion: """
                Stop the hub first. Every origin's ops are appended in seq order, in batches of \
                5,000, then the tokens; the database then names this hub (its node id) to the \
                stores, so they keep syncing without a change but their hub URL. Safe to run \
                again after an interruption: it continues where it stopped. Afterwards, start \
                'stockroom serve --role hub --database URL' on this same folder (it becomes \
                that process's replica) and on as many other folders as you want processes.
                """)

        @OptionGroup var options: NodeOptions
        @Option(help: "The PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…].")
        var database: String?

        func run() async throws {
            let (store, directory) = try await AdminStore.open(options)
            let (url, logger) = try await Hub.database(database, options, bootstrap: false)
            do {
                try directory.lock()
            } catch let error as DataDirectory.LockError {
                throw ValidationError("\(error.description): stop the hub before exporting it")
            }
            let log = try await Hub.open(url, node: store.nodeID, logger: logger)
            defer { log.close() }
            let identity = try await log.identity()
            guard identity.node == store.nodeID else {
                throw ValidationError(
                    "the database already holds the log of hub '\(identity.node)', not '\(store.nodeID)'; use an empty database"
                )
            }
            let coverage = store.writeContext.knowledge
            var total = 0
            for (origin, high) in coverage.sortedEntries.map({ ($0.origin, $0.seq) }) {
                var done = try await log.highSeq(of: origin)
                while done < high {
                    let ops = try await store.ops(of: origin, after: done, limit: 5000)
                    guard !ops.isEmpty else { break }
                    do {
                        let appended = try await log.appendPushed(ops, from: origin)
                        total += appended.appended
                        done = appended.highSeq
                    } catch let refusal as HubLogRefusal {
                        throw ValidationError(
                            "origin '\(origin)': \(refusal); run 'stockroom check --data \(directory.path)' first")
                    }
                }
                print("\(origin): \(done) of \(high) ops")
            }
            try await log.publishTokens(try await store.storedTokens())
            // Verify: the log is sound and covers exactly what this hub holds.
            let report = try await log.check()
            let exported = try await log.coverage()
            var problems = report.problems
            for (origin, high) in coverage.sortedEntries.map({ ($0.origin, $0.seq) }) where exported[origin] != high {
                problems.append("origin '\(origin)': the hub holds up to \(high), the database \(exported[origin])")
            }
            let tokens = try await log.sharedTokens().count
            print(
                "exported \(total) ops (the database now holds \(report.ops) of \(report.origins) origins) and \(tokens) tokens to \(url.redacted)"
            )
            guard problems.isEmpty else {
                for problem in problems.prefix(20) { print("  \(problem)") }
                throw ValidationError("the exported log does not match the hub; nothing in \(directory.path) changed")
            }
            print(
                "verified. Next: stockroom serve --role hub --data \(directory.path) --database '\(url.redacted)'")
        }
    }

    /// The options of the tools that work on a log that must exist already.
    struct ExistingLog: ParsableArguments {
        @OptionGroup var options: NodeOptions
        @Option(help: "The PostgreSQL database URL.")
        var database: String?

        /// Opens it (never creating one): ``PostgresSchemaError/noLog`` becomes a message.
        func open() async throws -> (PostgresHubLog, PostgresURL) {
            let (url, logger) = try await Hub.database(database, options)
            return (try await Hub.open(url, node: nil, logger: logger), url)
        }
    }

    struct CheckLog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check the PostgreSQL hub log: every op once, no gaps, every batch readable.",
            discussion: "Read-only; safe while hub processes run. Exits 1 when something is wrong.")

        @OptionGroup var log: ExistingLog

        func run() async throws {
            let (log, url) = try await self.log.open()
            defer { log.close() }
            let identity = try await log.identity()
            let report = try await log.check()
            print("hub log:   \(url.redacted) (hub '\(identity.node)', epoch \(identity.epoch))")
            print("ops:       \(report.ops) in \(report.chunks) batches from \(report.origins) origins")
            print("head:      position \(report.head)")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for process in try await log.processCuts() {
                // A process silent for long holds back snapshots and store compaction.
                print(
                    "process:   \(process.node), cut published \((now - process.publishedAt) / 1000) s ago (\(process.cut.sortedEntries.count) origins)"
                )
            }
            print("problems:  \(report.problems.isEmpty ? "none" : "\(report.problems.count)")")
            for problem in report.problems.prefix(20) { print("  \(problem)") }
            if !report.isHealthy {
                throw Check.CheckFailed("the hub log is damaged: restore the database from a backup")
            }
        }
    }

    struct Restored: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After restoring the database from a backup: give the log a new epoch.",
            discussion: """
                Run it before any hub process starts on the restored database. The stores then \
                pull again from the start (op ids make that safe) and push again what the \
                backup lacks.
                """)

        @OptionGroup var log: ExistingLog

        func run() async throws {
            let (log, url) = try await self.log.open()
            defer { log.close() }
            let epoch = try await log.renewEpoch()
            print("the hub log in \(url.redacted) has the new epoch \(epoch); start the hub processes")
        }
    }

    struct ForgetProcess: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget-process",
            abstract: "Forget a retired hub process, whose last cut holds back snapshots and compaction.",
            discussion: """
                Every hub process publishes the cut its replica has reached (sync-protocol \
                section 15.4); the oldest one decides what stores may leave out. A process that \
                will never run again keeps its last cut for good: forget it. A process that \
                runs again publishes anew.
                """)

        @OptionGroup var log: ExistingLog
        @Argument(help: "The node id of the retired process (as in 'stockroom hub check').") var node: String

        func run() async throws {
            let (log, url) = try await self.log.open()
            defer { log.close() }
            guard try await log.forgetProcess(node) else {
                throw ValidationError("no hub process '\(node)' in \(url.redacted); 'stockroom hub check' lists them")
            }
            print("forgot hub process '\(node)' in \(url.redacted)")
        }
    }
}
