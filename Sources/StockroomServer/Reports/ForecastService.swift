import Logging
import ServiceLifecycle
import StockroomStore

/// Refits every cell's daily demand forecast on a schedule (issue #14): a minute after
/// start when the stored ones are older than the interval (or missing), then every
/// interval. Reorder points with a service level, days of cover in alerts and
/// replenishment read the stored forecasts. The fit reads a snapshot and the store swaps
/// the whole set in one transaction, so scans are not held up.
struct ForecastService: Service {
    let store: StockroomStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var wait: Duration = .seconds(60)
        if let fitted = try? await store.forecastsFittedAt() {
            let age = Duration.milliseconds(Int64(max(0, Double(StockroomStore.systemWallMillis()) - Double(fitted))))
            if age < interval { wait = interval - age }
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
            wait = interval
            let started = ContinuousClock.now
            do {
                let cells = try await store.refreshForecasts()
                logger.info(
                    "demand forecasts refitted",
                    metadata: ["forecast.cells": "\(cells)", "forecast.duration": "\(ContinuousClock.now - started)"])
            } catch {
                logger.warning("forecast refit failed; it runs again next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
