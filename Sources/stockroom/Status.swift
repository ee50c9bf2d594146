import ArgumentParser
import Foundation
import StockroomStore

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a node's state: id, op log, catalogue, conflicts.")

    @OptionGroup var options: NodeOptions

    func run() async throws {
        let (store, directory) = try await AdminStore.open(options)
        let statistics = try await store.statistics()
        let context = store.writeContext
        print(
            """
            node:            \(store.nodeID)
            data:            \(directory.path)
            ops in log:      \(statistics.ops) (last lsn \(statistics.lastLSN))
            items:           \(statistics.items)
            stock cells:     \(statistics.cells)
            open conflicts:  \(statistics.openConflicts)
            version vector:  \(context.knowledge)
            """)
    }
}
