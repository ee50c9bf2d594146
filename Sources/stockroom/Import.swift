import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load data into a node.", subcommands: [Catalog.self, Stock.self])

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
