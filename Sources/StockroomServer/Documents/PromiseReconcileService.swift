import Logging
import ServiceLifecycle
import StockroomStore

/// Rules S6 and A3 in the background: every few seconds, this node flags cells whose
/// promised units are not there and grants each channel with a policy what it lacks, at
/// the cells that changed (``StockroomStore/reconcilePromises(afterLSN:)``).
/// Off the scan path: a scan never waits for it, and an idle node only reads.
struct PromiseReconcileService: Service {
    static let interval: Duration = .seconds(2)
    let store: StockroomStore
    let logger: Logger

    func run() async throws {
        var last: Int64 = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let result = try await store.reconcilePromises(afterLSN: last)
                last = result.lastLSN
                if result.granted > 0 {
                    logger.info("allowances topped up", metadata: ["allowance.grants": "\(result.granted)"])
                }
            } catch {
                logger.warning("allowance top-up failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.interval)
        }
    }
}
