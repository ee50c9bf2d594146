import Logging
import ServiceLifecycle
import StockroomStore

/// On the hub only (section 11.6): every interval, reorder rules with `trigger=auto` become
/// draft purchase orders and transfers. The plan counts drafts and open documents, so a
/// second pass drafts nothing new for a need already drafted: no quantity multiplied on
/// every run. Only the hub, so two nodes never draft the same need while apart.
struct AutoReplenishService: Service {
    let store: StockroomStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // A long sleep must end at shutdown, or the node would wait it out before exiting.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
            do {
                let applied = try await store.applyReplenishment(automaticOnly: true, actor: "system:replenishment")
                if !applied.created.isEmpty || !applied.skipped.isEmpty {
                    logger.info(
                        "automatic replenishment drafted documents",
                        metadata: [
                            "replenishment.created": "\(applied.created.map(\.key.description))",
                            "replenishment.skipped": "\(applied.skipped.count)",
                        ])
                }
            } catch {
                logger.warning(
                    "automatic replenishment failed; it runs again next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
