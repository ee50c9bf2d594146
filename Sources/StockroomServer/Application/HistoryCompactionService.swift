import Logging
import StockroomStore

/// On a store: deletes, every `interval`, the scans rule K2 lets go (sync-protocol
/// section 15.3), keeping `historyDays` of business time whatever the counts say. A run
/// cut short by a stop or a crash leaves a smaller, equally correct log.
func historyCompactionService(
    store: StockroomStore, historyDays: Int, delayDays: Int, interval: Duration, logger: Logger
) -> PeriodicService {
    PeriodicService(interval: interval, failure: "history compaction failed", logger: logger) {
        let started = ContinuousClock.now
        let report = try await store.compactHistory(historyDays: historyDays, delayDays: delayDays)
        guard report.stableCut != nil else {
            logger.info("history kept whole: no stable cut from the hub is \(delayDays) days old yet (section 15.3)")
            return
        }
        logger.info(
            "history compacted",
            metadata: [
                "compaction.scanned": "\(report.scanned)", "compaction.deleted": "\(report.deleted)",
                "compaction.history_days": "\(historyDays)",
                "compaction.duration": "\(ContinuousClock.now - started)",
            ])
    }
}
