import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore
import StockroomTesting

/// A store holding a week of ops made offline starts with --hub; seconds until the hub
/// holds them all and the store has pulled what the hub took for it meanwhile.
struct CatchUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up", abstract: "Seconds for a store back from a week offline to sync both ways.")

    @OptionGroup var output: BenchOutput
    @Option(help: "Ops the store made offline (a week of a busy store).") var ops = 350_000
    @Flag(help: "Issue #12's mix: 90% sales, the rest orders, PO receipts and transfers.") var mix = false
    @Option(help: "A hub on PostgreSQL: an empty database's URL, one per round (issue #16).") var database: [String] =
        []

    func run() async throws {
        var seconds: [Double] = []
        var peaks: [Double] = []
        for round in 1...output.rounds {
            let (elapsed, peak) = try await catchUp(
                seed: UInt64(round), database: database.isEmpty ? nil : database[(round - 1) % database.count])
            seconds.append(elapsed)
            peaks.append(peak)
            print(
                String(
                    format: "catch-up, round %d: %d ops in %.2f s, store peak RSS %.0f MB", round, ops, elapsed, peak))
        }
        try output.write([
            "ops": ops, "mix": mix, "seconds": seconds, "seconds_median": median(seconds), "store_peak_rss_mb": peaks,
            "store_peak_rss_mb_max": peaks.max()!, "backend": database.isEmpty ? "sqlite" : "postgres",
        ])
    }

    func catchUp(seed: UInt64, database: String?) async throws -> (seconds: Double, peakRSSMB: Double) {
        let hub = try BenchNode(binary: output.binary, name: "hub")
        _ = try hub.admin(["import", "catalog", "fixtures/catalog-10k.csv", "--node", "hub"])
        let token = String(
            try hub.admin(["token", "create", "--role", "peer", "--node", "store-1"]).split(separator: "\n").last!)
        let store = try BenchNode(binary: output.binary, name: "store")
        var ownOps = UInt64(ops)
        // The week offline: the store already has the catalogue (from an earlier sync),
        // then records its scans with no hub.
        do {
            let catalogue = try StockroomStore(path: hub.data + "/stockroom.sqlite", nodeID: NodeID("hub")!)
            let local = try StockroomStore(path: store.data + "/stockroom.sqlite", nodeID: NodeID("store-1")!)
            let batch = try await catalogue.pullBatch(
                epoch: "", cursor: 0, interest: .edge(NodeID("store-1")!), limit: 20_000)
            _ = try await local.applyPulled(batch, from: NodeID("hub")!, source: .hub)
            let skus = try await catalogue.listItems(category: nil, text: nil, afterSKU: nil, limit: 1000).items.map(
                \.sku)
            var random = SeededGenerator(seed: seed)
            if mix {
                _ = try await local.createSupplier("northfield", fields: [.name: .text("Northfield")], actor: "buyer")
            }
            for chunk in 0..<(ops / 1000) {
                // With the mix, 900 sales and about 95 ops of documents per 1,000.
                let scans = (0..<(mix ? 900 : 1000)).map { n in
                    ScanCommand(
                        scanID: "w\(chunk)-\(n)", code: skus.randomElement(using: &random)!, quantity: 1,
                        action: .move(.sale), device: "till-\(n % 4)")
                }
                _ = try await local.recordScans(scans, actor: "till")
                guard mix else { continue }
                for n in 0..<30 {
                    let line = [DocumentLine(sku: skus.randomElement(using: &random)!, quantity: 1, unitCost: 90)]
                    let id = "\(chunk)-\(n)"
                    func event(
                        _ kind: DocumentKind, _ document: String, _ action: DocumentAction, _ lines: [DocumentLine]
                    )
                        -> DocumentEvent
                    {
                        DocumentEvent(
                            kind: kind, document: document, event: action.rawValue, action: action,
                            location: "store-1",
                            counterpart: kind == .transfer ? "store-2" : (kind == .purchaseOrder ? "northfield" : nil),
                            lines: lines, backorder: true)
                    }
                    switch n % 6 {
                    case 0, 1, 2, 3:
                        _ = try await local.recordEvents(
                            [event(.order, "pos:\(id)", .place, line), event(.order, "pos:\(id)", .fulfil, line)],
                            actor: "till")
                    case 4:
                        _ = try await local.recordEvents(
                            [
                                event(.purchaseOrder, "PO-\(id)", .create, line),
                                event(.purchaseOrder, "PO-\(id)", .send, []),
                                event(.purchaseOrder, "PO-\(id)", .receive, line),
                            ], actor: "dock")
                    default:
                        _ = try await local.recordEvents(
                            [event(.transfer, "T-\(id)", .create, line), event(.transfer, "T-\(id)", .ship, [])],
                            actor: "backroom")
                    }
                }
            }
            ownOps = local.writeContext.nextSeq - 1
            // Meanwhile the hub took online orders for this store.
            for chunk in 0..<5 {
                let orders = (0..<1000).map { n in
                    ScanCommand(
                        scanID: "o\(chunk)-\(n)", code: skus.randomElement(using: &random)!, quantity: 1,
                        action: .move(.sale), location: "store-1", device: "web")
                }
                _ = try await catalogue.recordScans(orders, actor: "web")
            }
        }
        try await hub.start(["--role", "hub"] + (database.map { ["--database", $0] } ?? []))
        defer { hub.stop() }
        let started = ContinuousClock.now
        try await store.start(["--node", "store-1", "--hub", "http://127.0.0.1:\(hub.port)", "--hub-token", token])
        defer { store.stop() }
        var peak = 0.0
        while true {
            peak = max(peak, store.rssMB())
            let hubHas = try await hub.coverage(of: "store-1", token: hub.credential("admin"))
            let storeHas = try await store.coverage(of: "hub", token: store.credential("admin"))
            if hubHas >= ownOps && storeHas >= 10_000 + 5_000 { break }
            guard ContinuousClock.now - started < .seconds(300) else {
                throw ValidationError("catch-up did not finish in 300 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = (ContinuousClock.now - started).seconds
        print(String(format: "  CPU: hub %.2f s, store %.2f s", hub.cpuSeconds(), store.cpuSeconds()))
        return (elapsed, max(peak, store.peakRSSMB()))
    }
}
