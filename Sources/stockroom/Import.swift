import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load data into a node.", subcommands: [Catalog.self, Stock.self, History.self])

    struct Stock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record shelf counts from a CSV file (header: sku,quantity and optionally location).",
            discussion: """
                Each row is a count: the units on the shelf now (opening stock, or a stocktake from the \
                old system). A row whose cell already holds that quantity writes nothing, so running \
                the same import twice is harmless. A file with any problem is refused whole, with \
                every problem listed by line; so is a SKU the catalogue does not have.
                """)

        @OptionGroup var options: NodeOptions

        @Argument(help: "The CSV file.")
        var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let rows: [StockCountCSV.Row]
            switch StockCountCSV.parse(bytes: data) {
            case .success(let parsed): rows = parsed
            case .failure(let problems):
                throw ValidationError("\(file) was not imported; \(problems.all.count) problem(s):\n\(problems)")
            }
            let (store, _) = try await AdminStore.open(options)
            do {
                let summary = try await store.importCounts(rows, actor: "cli:import")
                print("counted \(summary.counted) cells from \(file); \(summary.unchanged) already held that quantity")
            } catch let problems as CatalogCSV.Problems {
                throw ValidationError("\(file) was not imported; \(problems.all.count) problem(s):\n\(problems)")
            } catch let violation as OpViolation {
                throw ValidationError("\(file) was not imported: \(violation.message)")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Load past movements from a CSV file (header: occurred_at,sku,location,reason,qty and optionally actor,device,unit_cost,unit_price,id).",
            discussion: """
                Each row becomes a movement that keeps the time it happened (occurred_at: 2025-03-01 or \
                2025-03-01T14:05:00Z), which reports, forecasts and anomaly scores use. Reasons: sale, \
                return, receive, adjust (signed), damage, count. Amounts are like 4.99.

                The file is checked whole before anything is written: a file with any problem is \
                refused, with every problem listed by line. It streams, so a file of millions of rows \
                imports in bounded memory. Importing the same file again writes nothing; an import \
                that was interrupted is finished by running it again.

                Import history before the store starts counting: a count row resets its cell as of \
                everything the node held when it was written.
                """)

        @OptionGroup var options: NodeOptions

        @Option(name: .long, help: "Who to name as the actor of rows without an actor column.")
        var actor: String = "cli:import"

        @Flag(name: .long, help: "No progress line on the terminal.")
        var quiet = false

        @Argument(help: "The CSV file.")
        var file: String

        func run() async throws {
            guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let (store, _) = try await AdminStore.open(options)
            let started = Date()
            let showProgress = !quiet && isatty(STDERR_FILENO) == 1
            do {
                let summary = try await store.importHistory(file: file, actor: actor) { progress in
                    guard showProgress else { return }
                    let share =
                        progress.total.map { Double(progress.rows) / Double(max(1, $0)) }
                        ?? Double(progress.bytes) / Double(max(1, progress.totalBytes))
                    let line = String(
                        format: "\r%@ %3.0f%%  %d rows  %.0fs", progress.phase.rawValue, share * 100, progress.rows,
                        Date().timeIntervalSince(started))
                    FileHandle.standardError.write(Data(line.utf8))
                }
                if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
                let span =
                    summary.from.map {
                        " from \(ISODate.text($0).prefix(10)) to \(ISODate.text(summary.to ?? $0).prefix(10))"
                    }
                    ?? ""
                print(
                    "imported \(summary.rows) rows\(span) from \(file) in \(String(format: "%.1f", Date().timeIntervalSince(started)))s: "
                        + "\(summary.written) written, \(summary.alreadyImported) already imported")
            } catch let problems as CatalogCSV.Problems {
                if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
                throw ValidationError("\(file) was not imported; problem(s):\n\(problems)")
            } catch let error as StoreError {
                throw ValidationError("\(file) was not imported: \(error)")
            }
        }
    }

    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create or update items from a CSV file (header: sku,name,description,category,price,barcode,threshold).",
            discussion: """
                New SKUs are created, existing ones get the fields that differ, identical rows change nothing,
                so running the same import twice is harmless. A file with any problem is refused whole,
                with every problem listed by line.
                """)

        @OptionGroup var options: NodeOptions

        @Option(name: .long, help: "Node id, when this import creates the data folder.")
        var node: String?

        @Argument(help: "The CSV file.")
        var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let rows: [CatalogCSV.Row]
            switch CatalogCSV.parse(bytes: data) {
            case .success(let parsed): rows = parsed
            case .failure(let problems):
                throw ValidationError("\(file) was not imported; \(problems.all.count) problem(s):\n\(problems)")
            }
            let (store, _) = try await AdminStore.open(options, createWithNode: node, allowCreate: true)
            let started = Date()
            do {
                let summary = try await store.importItems(rows, actor: "cli:import")
                print(
                    "imported \(summary.total) rows from \(file) in \(String(format: "%.1f", Date().timeIntervalSince(started)))s: "
                        + "\(summary.created) created, \(summary.updated) updated, \(summary.unchanged) unchanged")
            } catch let problems as CatalogCSV.Problems {
                throw ValidationError(
                    "\(file) was not imported; \(problems.all.count) problem(s) with the catalogue:\n\(problems)")
            } catch let error as StoreError {
                throw ValidationError("\(file) was not imported: \(error)")
            }
        }
    }
}
