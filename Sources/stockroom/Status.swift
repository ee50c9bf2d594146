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
            coverage:        \(context.knowledge)
            """)
        if let hub = try await store.knownHub() {
            let progress = try await store.peerProgress(hub)
            let pending = (context.nextSeq - 1) - min(context.nextSeq - 1, progress.pushedSeq)
            let last = progress.lastSuccessMillis.map {
                Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601)
            }
            print(
                """
                hub:             \(hub)
                  last sync:     \(last ?? "never")
                  ops to push:   \(pending)
                  pull cursor:   \(progress.cursor) (epoch \(progress.epoch.isEmpty ? "-" : progress.epoch))
                  last error:    \(progress.lastError ?? "-")
                """)
        }
    }
}
