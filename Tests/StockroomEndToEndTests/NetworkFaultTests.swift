import Foundation
import StockroomTesting
import Testing

/// A hub and two stores as real processes, each store's link to the hub through
/// `faultproxy.py`.
@Suite(.serialized) struct NetworkFaultTests {
    /// Stores scan while their links reset, stall, crawl, truncate responses and deliver
    /// requests twice and out of order. Once the faults stop, all three converge, and the
    /// hub holds each store's ops exactly once.
    @Test func storesConvergeThroughResetsStallsTruncationsAndDuplicates() async throws {
        let seed = SeededGenerator.testSeed()
        let chain = try SyncEndToEndTests.Chain.make()
        try await chain.startHub()
        var proxies: [FaultProxy] = []
        for index in 0..<2 {
            let proxy = try await FaultProxy(upstreamPort: chain.hubPort, seed: seed &+ UInt64(index), rate: 0.8)
            proxies.append(proxy)
            proxy.faults(false)
            try await chain.startStore(index, via: proxy.url)
        }
        // The catalogue first, on a clean link: scans of items a store has not heard of
        // yet are refused, which is right but not what this test is about.
        #expect(try await chain.waitForAgreement(), "seed \(seed): stores never got the catalogue")
        for proxy in proxies { proxy.faults(true) }
        // Scans and counts in small batches for a few seconds of faults, both stores at once.
        let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<2 {
                group.addTask {
                    var total = 0
                    for round in 0..<24 {
                        total += try await chain.scan(
                            at: index, batches: 1, seed: seed &+ UInt64(round * 2 + index), tag: "n\(round)")
                        try await Task.sleep(for: .milliseconds(300))
                    }
                    return total
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(acknowledged == [2400, 2400], "seed \(seed): scanning is local and must not fail")
        for proxy in proxies { proxy.faults(false) }
        let converged = try await chain.waitForAgreement(timeout: 90, nudge: true)
        var injected: [String: Int] = [:]
        for proxy in proxies { injected.merge(try await proxy.stop()) { $0 + $1 } }
        #expect(converged, "seed \(seed): no convergence after the faults stopped (faults: \(injected))")
        let coverage = try await chain.hubCoverage()
        for origin in ["store-1", "store-2"] {
            #expect(coverage[origin] == 2400, "seed \(seed): hub coverage of \(origin): \(coverage)")
            #expect(
                try await chain.opsAtHub(origin: origin) == 2400, "seed \(seed): \(origin)'s ops at the hub, not once")
        }
        print("NetworkFaultTests seed \(seed): faults injected \(injected)")
        let kinds = injected.filter { $0.key != "connections" && $0.value > 0 }.count
        #expect(kinds >= 4, "seed \(seed): too few kinds of fault were injected to mean much: \(injected)")
        try chain.expectConsistent(seed: seed)
        try await chain.stop()
    }
}
