import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore
import StockroomTesting

/// Issue #16: a store whose disk died starts blank and recovers from its hub. The hub
/// holds two years of the store's sales (business time spread evenly), a shelf count of
/// every item sold, and a week of sales after the counts. Seconds and ops held until the
/// store takes writes again, with the full history (`--snapshot-history-days -1`) and
/// with the snapshot (rule K1, the default 400 days), and with a snapshot that keeps no
/// history (0 days: the floor of K1), measured in the same run. With `--scans 0
/// --counted N` it is the "store with N items": a catalogue and a count of
/// every item, nothing else.
struct Bootstrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap", abstract: "Seconds for a blank store to recover: full history vs snapshot.")

    @OptionGroup var output: BenchOutput
    @Option(help: "The store's sales over two years of business time.") var scans = 500_000
    @Option(help: "The hub's catalogue (CSV).") var catalog = "fixtures/catalog-10k.csv"
    @Option(help: "Items the store counts (the first N by SKU): the cells it holds stock in.") var counted = 1000
    @Option(help: "Which recoveries to time: full, snapshot (400 days), snapshot_0_days.")
    var modes = "full,snapshot,snapshot_0_days"

    func run() async throws {
        let hub = try BenchNode(binary: output.binary, name: "hub")
        let (total, items) = try await makeHistory(hub)
        var result: [String: Any] = ["scans": scans, "hub_ops": total, "items_counted": items, "catalog": catalog]
        let chosen = Set(modes.split(separator: ",").map(String.init))
        for (name, days) in [("full", -1), ("snapshot", 400), ("snapshot_0_days", 0)] where chosen.contains(name) {
            var seconds: [Double] = []
            var held = 0
            var peak = 0.0
            for round in 1...output.rounds {
                let (elapsed, ops, rss) = try await recover(hub, historyDays: days)
                seconds.append(elapsed)
                held = ops
                peak = max(peak, rss)
                print(String(format: "bootstrap %@, round %d: %.2f s, store holds %d ops", name, round, elapsed, ops))
            }
            result[name] = [
                "seconds": seconds, "seconds_median": median(seconds), "store_ops": held, "store_peak_rss_mb": peak,
            ]
        }
        try output.write(result)
    }

    /// The hub's folder: the catalogue, then store-1's history pushed to it in process.
    func makeHistory(_ hub: BenchNode) async throws -> (ops: Int, counted: Int) {
        _ = try hub.admin(["import", "catalog", catalog, "--node", "hub"])
        let hubStore = try StockroomStore(path: hub.data + "/stockroom.sqlite", nodeID: NodeID("hub")!)
        _ = try await hubStore.claimRole("hub")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-history-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try StockroomStore(path: folder + "/stockroom.sqlite", nodeID: NodeID("store-1")!)
        var (epoch, cursor, more) = ("", UInt64(0), true)
        while more {
            // The epoch of the page before: with another, the hub starts again from 0.
            let batch = try await hubStore.pullBatch(
                epoch: epoch, cursor: cursor, interest: .edge(NodeID("store-1")!), limit: 20_000)
            _ = try await store.applyPulled(batch, from: NodeID("hub")!, source: .hub)
            (epoch, cursor, more) = (batch.epoch, batch.cursor, batch.more)
        }
        var skus: [String] = []
        while skus.count < counted {
            let page = try await hubStore.listItems(
                category: nil, text: nil, afterSKU: skus.last, limit: min(5000, counted - skus.count))
            if page.items.isEmpty { break }
            skus += page.items.map(\.sku)
        }
        var random = SeededGenerator(seed: 16)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let span: UInt64 = 730 * 86_400_000
        func sales(_ count: Int, tag: String, from start: UInt64, to end: UInt64) async throws {
            for chunk in 0..<(count / 1000) {
                let scans = (0..<1000).map { n in
                    var scan = ScanCommand(
                        scanID: "\(tag)\(chunk)-\(n)", code: skus.randomElement(using: &random)!, quantity: 1,
                        action: .move(.sale), device: "till-\(n % 4)")
                    scan.occurredAt = start + (end - start) * UInt64(chunk * 1000 + n) / UInt64(count)
                    return scan
                }
                _ = try await store.recordScans(scans, actor: "till")
            }
        }
        try await sales(scans, tag: "s", from: now - span, to: now - 7 * 86_400_000)
        for start in stride(from: 0, to: skus.count, by: 5000) {
            let counts = skus[start..<min(start + 5000, skus.count)].enumerated().map { index, sku in
                ScanCommand(
                    scanID: "count-\(start + index)", code: sku, quantity: 40, action: .count, device: "counter")
            }
            _ = try await store.recordScans(counts, actor: "clerk")
        }
        try await sales(scans / 70, tag: "w", from: now - 7 * 86_400_000, to: now)
        var pushed: UInt64 = 0
        while true {
            let ops = try await store.ownOps(after: pushed, limit: 5000)
            guard let last = ops.last else { break }
            _ = try await hubStore.applyPushed(ops, from: NodeID("store-1")!, locations: .own(NodeID("store-1")!))
            pushed = last.id.seq
        }
        return (Int(try await hubStore.statistics().ops), skus.count)
    }

    /// A blank store-1 started against the hub; seconds until it takes writes again.
    func recover(_ hub: BenchNode, historyDays: Int) async throws -> (seconds: Double, ops: Int, rss: Double) {
        let token = String(
            try hub.admin(["token", "create", "--role", "peer", "--node", "store-1"]).split(separator: "\n").last!)
        try await hub.start(["--role", "hub", "--snapshot-history-days=\(historyDays)"])
        defer { hub.stop() }
        let store = try BenchNode(binary: output.binary, name: "store")
        defer { try? FileManager.default.removeItem(atPath: store.data) }
        let started = ContinuousClock.now
        try await store.start(["--node", "store-1", "--hub", "http://127.0.0.1:\(hub.port)", "--hub-token", token])
        defer { store.stop() }
        let admin = try store.credential("admin")
        var peak = 0.0
        while try await store.getJSON("/v1/sync/status", token: admin)["recovering"] != nil {
            peak = max(peak, store.rssMB())
            guard ContinuousClock.now - started < .seconds(1800) else {
                throw ValidationError("the store did not recover in 1,800 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let ops = try await store.getJSON("/v1/status", token: admin)["ops"] as? Int ?? -1
        return (elapsed, ops, max(peak, store.peakRSSMB()))
    }
}
