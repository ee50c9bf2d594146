import Logging
import ServiceLifecycle

/// Runs `work` every `interval` (the first time one interval after start) until the node
/// stops. A failure is logged with `failure` and tried again at the next interval; a long
/// sleep ends at shutdown, or the node would wait it out before exiting.
struct PeriodicService: Service {
    let interval: Duration
    let failure: String
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
            do {
                try await work()
            } catch {
                logger.warning("\(failure); it runs again next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
