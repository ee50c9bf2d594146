import Logging
import StockroomStore

/// On the hub only (section 11.6): every interval, reorder rules with `trigger=auto` become
/// draft purchase orders and transfers. The plan counts drafts and open documents, so a
/// second pass drafts nothing new for a need already drafted: no quantity multiplied on
/// every run. Only the hub, so two nodes never draft the same need while apart.
func autoReplenishService(store: StockroomStore, interval: Duration, logger: Logger) -> PeriodicService {
    PeriodicService(interval: interval, failure: "automatic replenishment failed", logger: logger) {
        let applied = try await store.applyReplenishment(automaticOnly: true, actor: "system:replenishment")
        if !applied.created.isEmpty || !applied.skipped.isEmpty {
            logger.info(
                "automatic replenishment drafted documents",
                metadata: [
                    "replenishment.created": "\(applied.created.map(\.key.description))",
                    "replenishment.skipped": "\(applied.skipped.count)",
                ])
        }
    }
}
