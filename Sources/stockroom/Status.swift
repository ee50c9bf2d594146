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
        // Every peer this node exchanged ops with: an edge's hub, or a hub's stores.
        let hub = try await store.knownHub()
        for progress in try await store.allPeerProgress() {
            func time(_ millis: UInt64?) -> String {
                millis.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } ?? "never"
            }
            var lines = [
                "peer \(progress.peer)\(progress.peer == hub?.rawValue ? " (hub)" : ""):",
                "  last sync:     \(time(progress.lastSuccessMillis))",
                "  last error:    \(progress.lastError ?? "-")",
            ]
            if progress.peer == hub?.rawValue {
                let pending = (context.nextSeq - 1) - min(context.nextSeq - 1, progress.pushedSeq)
                lines.append("  pending out:   \(pending) ops")
            }
            if !progress.epoch.isEmpty {
                lines.append(
                    "  pending in:    \(progress.pendingIn.map { "\($0) log positions (upper bound)" } ?? "-")")
                lines.append("  pull cursor:   \(progress.cursor) (epoch \(progress.epoch))")
            }
            if let raw = progress.lastRawBytes, let wire = progress.lastWireBytes {
                lines.append("  last round:    \(raw) bytes raw, \(wire) on the wire")
            }
            print(lines.joined(separator: "\n"))
        }
    }
}
