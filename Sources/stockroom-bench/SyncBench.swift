import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import StockroomCore
import StockroomStore
import StockroomSync
import StockroomTesting

@main
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockroom-bench",
        abstract: "Sync benchmarks against real stockroom processes: hub apply rate and week-offline catch-up.")

    @Option(help: "The stockroom binary to run.") var binary = ".build/release/stockroom"
    @Option(help: "Ops pushed to the hub for the apply-rate scenario.") var applyOps = 100_000
    @Option(help: "Ops a store made offline for the catch-up scenario (a week).") var catchUpOps = 350_000
    @Option(help: "Rounds of each scenario (the median is reported).") var rounds = 3

    func run() async throws {
        var applyRates: [Double] = []
        var catchUps: [Double] = []
        var peakRSS: [Double] = []
        for round in 1...rounds {
            applyRates.append(try await applyRate(seed: UInt64(round)))
            print(String(format: "round %d: hub apply %.0f ops/s", round, applyRates.last!))
        }
        for round in 1...rounds {
            let (seconds, rss) = try await catchUp(seed: UInt64(round))
            catchUps.append(seconds)
            peakRSS.append(rss)
            print(
                String(
                    format: "round %d: catch-up of %d ops in %.2f s (store peak RSS %.0f MB)", round, catchUpOps,
                    seconds, rss))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let result: [String: Any] = [
            "hub_apply_ops_per_s_median": median(applyRates), "hub_apply_ops_per_s": applyRates,
            "catch_up_s_median": median(catchUps), "catch_up_s": catchUps, "catch_up_ops": catchUpOps,
            "catch_up_store_peak_rss_mb": peakRSS,
        ]
        try FileManager.default.createDirectory(atPath: "bench/results", withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: "bench/results/sync.json"))
        print(
            String(
                format: "\nhub apply rate:  %.0f ops/s median (%.0f-%.0f)   target >= 50,000", median(applyRates),
                applyRates.min()!, applyRates.max()!))
        print(
            String(
                format: "catch-up %dk:   %.2f s median (%.2f-%.2f)   target < 15 s", catchUpOps / 1000,
                median(catchUps), catchUps.min()!, catchUps.max()!))
    }

    /// Ten store origins push `applyOps` ops to a hub process concurrently, in batches of
    /// 5,000, through the real endpoint; ops/s from first request to last answer.
    func applyRate(seed: UInt64) async throws -> Double {
        let hub = try Node(binary: binary, name: "hub")
        _ = try hub.admin(["import", "catalog", "fixtures/catalog-10k.csv", "--node", "hub"])
        try await hub.start(["--role", "hub"])
        defer { hub.stop() }
        let stores = 10
        let perStore = applyOps / stores
        var work: [(token: String, batches: [[UInt8]])] = []
        for index in 0..<stores {
            let node = NodeID("store-\(index)")!
            let token = try hub.admin(["token", "create", "--role", "peer", "--node", node.rawValue]).split(
                separator: "\n"
            ).last!
            let ops = SaleStream.ops(count: perStore, seed: seed &+ UInt64(index), origin: node)
            let batches = stride(from: 0, to: ops.count, by: 5000).map {
                WireCompression.wire(SyncBatch(node: node, ops: Array(ops[$0..<min($0 + 5000, ops.count)])))
            }
            work.append((String(token), batches))
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (token, batches) in work {
                group.addTask {
                    for batch in batches {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/v1/sync/push")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Stockroom-Sync-Version", value: "1")
                        request.headers.add(name: "Content-Type", value: SyncClient.batchContentType)
                        request.body = .bytes(ByteBuffer(bytes: batch))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok else {
                            throw ValidationError("push failed: \(String(buffer: body))")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        return Double(perStore * stores)
            / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// A store holding `catchUpOps` ops made offline starts with --hub; seconds until the
    /// hub holds them all and the store has pulled what the hub had for it.
    func catchUp(seed: UInt64) async throws -> (seconds: Double, peakRSSMB: Double) {
        let hub = try Node(binary: binary, name: "hub")
        _ = try hub.admin(["import", "catalog", "fixtures/catalog-10k.csv", "--node", "hub"])
        let token = String(
            try hub.admin(["token", "create", "--role", "peer", "--node", "store-1"]).split(separator: "\n").last!)
        let store = try Node(binary: binary, name: "store")
        // The week offline: the store already has the catalogue (from an earlier sync),
        // then records its scans with no hub.
        do {
            let catalogue = try StockroomStore(path: hub.data + "/stockroom.sqlite", nodeID: NodeID("hub")!)
            let local = try StockroomStore(path: store.data + "/stockroom.sqlite", nodeID: NodeID("store-1")!)
            let batch = try await catalogue.pullBatch(
                epoch: "", cursor: 0, interest: .edge(NodeID("store-1")!), limit: 20_000)
            _ = try await local.applyPulled(batch, from: NodeID("hub")!)
            let skus = try await catalogue.listItems(category: nil, text: nil, afterSKU: nil, limit: 1000).items.map(
                \.sku)
            var random = SeededGenerator(seed: seed)
            for chunk in 0..<(catchUpOps / 1000) {
                let scans = (0..<1000).map { n in
                    ScanCommand(
                        scanID: "w\(chunk)-\(n)", code: skus.randomElement(using: &random)!, quantity: 1,
                        action: .move(.sale),
                        device: "till-\(n % 4)")
                }
                _ = try await local.recordScans(scans, actor: "till")
            }
            // Meanwhile the hub took online orders for this store.
            for chunk in 0..<5 {
                let orders = (0..<1000).map { n in
                    ScanCommand(
                        scanID: "o\(chunk)-\(n)", code: skus.randomElement(using: &random)!, quantity: 1,
                        action: .move(.sale),
                        location: "store-1", device: "web")
                }
                _ = try await catalogue.recordScans(orders, actor: "web")
            }
        }
        try await hub.start(["--role", "hub"])
        defer { hub.stop() }
        let started = ContinuousClock.now
        try await store.start(["--node", "store-1", "--hub", "http://127.0.0.1:\(hub.port)", "--hub-token", token])
        defer { store.stop() }
        var peak = 0.0
        while true {
            peak = max(peak, store.rssMB())
            let hubHas = try await hub.coverage(of: "store-1", token: hub.credential("admin"))
            let storeHas = try await store.coverage(of: "hub", token: store.credential("admin"))
            if hubHas >= UInt64(catchUpOps) && storeHas >= 10_000 + 5_000 { break }
            guard ContinuousClock.now - started < .seconds(300) else {
                throw ValidationError("catch-up did not finish in 300 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = ContinuousClock.now - started
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, peak)
    }
}

/// A `stockroom` process with its own data folder, on an ephemeral loopback port.
final class Node: @unchecked Sendable {
    let binary: String
    let data: String
    var process: Process?
    var port = 0

    init(binary: String, name: String) throws {
        self.binary = binary
        data =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "stockroom-bench-\(name)-\(UUID().uuidString)"
            ).path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    func admin(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--data", data, "--log-level", "error"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("stockroom \(arguments) failed") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func start(_ arguments: [String]) async throws {
        let log = data + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data", data, "--listen", "127.0.0.1:0", "--log-level", "warning"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
        self.process = process
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("stockroom did not start:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    func credential(_ role: String) throws -> String {
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: data + "/credentials.json")))
        return (json as? [String: String])?[role] ?? ""
    }

    func coverage(of origin: String, token: String) async throws -> UInt64 {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sync/status")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        let coverage = json?["coverage"] as? [[String: Any]] ?? []
        return UInt64(coverage.first { $0["origin"] as? String == origin }?["seq"] as? Int ?? 0)
    }

    func rssMB() -> Double {
        guard let process,
            let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS") })
        else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
