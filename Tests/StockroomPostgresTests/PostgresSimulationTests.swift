import Foundation
import Logging
import StockroomCore
import StockroomPostgres
import StockroomServer
import StockroomStore
import StockroomSync
import StockroomTesting
import Testing

/// Issue #16: the deterministic simulation of `SimulationTests`, with the hub as two
/// processes over one PostgreSQL log (sync-protocol section 14.5) instead of one SQLite
/// file. Each step a store scans or counts, a hub process sells or counts at a store's
/// location or edits the catalogue, a store pushes to either process (checked against that
/// process's replica, then appended to the log, as the route does), a store pulls from the
/// log, a process follows the log or forwards its own ops, or a process restarts on its
/// folder. After healing, both replicas equal what one node computes from the log, the
/// log holds each op once, and every store agrees with it.
///
/// `STOCKROOM_SIM_SEEDS=N` runs N seeds (default 3 here: each needs a database);
/// `STOCKROOM_SEED=S` replays one.
@Suite struct PostgresSimulationTests {
    static var seeds: [UInt64] { SeededGenerator.simulationSeeds(count: 3) }

    static let logger = Logger(label: "postgres-simulation")

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stockroom-pgsim-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path + "/stockroom.sqlite"
    }

    /// A push as `SyncRoutes` takes it over PostgreSQL (``HubReplica/acceptPush``).
    static func push(_ store: StockroomStore, to process: HubReplica, limit: Int) async throws {
        let progress = try await store.peerProgress(process.identity.node)
        let ops = try await store.ownOps(after: progress.pushedSeq, limit: limit)
        guard !ops.isEmpty else { return }
        let (_, appended) = try await process.acceptPush(
            ops, from: store.nodeID, locations: .store(store.nodeID, grants: [:]))
        try await store.recordPushed(to: process.identity.node, seq: appended.highSeq)
    }

    static func pull(_ store: StockroomStore, from log: PostgresHubLog, limit: Int) async throws -> Bool {
        let identity = try await log.identity()
        let progress = try await store.peerProgress(identity.node)
        let batch = try await log.pull(
            epoch: progress.epoch, cursor: progress.cursor, interest: .edge(store.nodeID), limit: limit,
            protocolVersion: Int(BatchCodec.version))
        let wire = try WireCompression.batch(fromWire: WireCompression.wire(batch))
        _ = try await store.applyPulled(wire, from: identity.node, source: .hub)
        return batch.more
    }

    @Test(arguments: seeds)
    func twoHubProcessesOverPostgresConvergeWithTheirStores(seed: UInt64) async throws {
        guard let url = try await TestPostgres.freshDatabase() else { return }
        var random = SeededGenerator(seed: seed)
        let log = try await PostgresHubLog.open(
            PostgresURL(url), proposedNode: NodeID("hub-a")!, logger: TestPostgres.logger)
        defer { log.close() }
        let names = [NodeID("hub-a")!, NodeID("hub-b")!]
        let paths = try names.map { _ in try Self.folder() }
        var processes: [HubReplica] = []
        for (name, path) in zip(names, paths) {
            let store = try StockroomStore(path: path, nodeID: name)
            try await store.claimRole("hub")
            processes.append(try await HubReplica(log: log, store: store, logger: Self.logger))
        }
        let stores = try (1...Int.random(in: 2...4, using: &random)).map {
            try StockroomStore(path: try Self.folder(), nodeID: NodeID("store-\($0)")!)
        }
        let skus = (0..<8).map { "SKU-\($0)" }
        for sku in skus {
            _ = try await processes[0].store.createItem(
                sku: sku, fields: FieldAssignments([.name: .text(sku)]), actor: "hq")
        }
        try await processes[0].forwardOwnOps()
        for store in stores { while try await Self.pull(store, from: log, limit: 1000) {} }

        for step in 0..<300 {
            let store = stores.randomElement(using: &random)!
            let index = Int.random(in: 0..<processes.count, using: &random)
            let process = processes[index]
            let sku = skus.randomElement(using: &random)!
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:
                let action: ScanAction = Bool.random(using: &random) ? .move(.sale) : .move(.receive)
                _ = try? await store.recordScan(
                    ScanCommand(
                        scanID: "s\(step)", code: sku, quantity: Int64.random(in: 1...4, using: &random),
                        action: action), actor: "till")
            case 35..<43:
                _ = try? await store.recordScan(
                    ScanCommand(
                        scanID: "s\(step)", code: sku, quantity: Int64.random(in: 0...20, using: &random),
                        action: .count), actor: "clerk")
            case 43..<50:  // the office, on either process, at a store's location
                let action: ScanAction = Bool.random(using: &random) ? .count : .move(.sale)
                _ = try? await process.store.recordScan(
                    ScanCommand(
                        scanID: "w\(step)", code: sku, quantity: Int64.random(in: 0...9, using: &random),
                        action: action, location: store.nodeID.rawValue), actor: "office")
            case 50..<54:
                let editor = Bool.random(using: &random) ? process.store : store
                _ = try? await editor.updateItem(
                    sku: sku, fields: FieldAssignments([.price: .int(Int64.random(in: 1...999, using: &random))]),
                    actor: "staff")
            case 54..<62:
                try await process.forwardOwnOps()
            case 62..<70:
                _ = try await process.catchUp()
            case 70..<73:  // a process restarts on its folder
                processes[index] = try await HubReplica(
                    log: log, store: try StockroomStore(path: paths[index], nodeID: names[index]), logger: Self.logger)
                try await processes[index].syncOnce()
            case 73..<86:
                try await Self.push(store, to: process, limit: Int.random(in: 1...30, using: &random))
            default:
                _ = try await Self.pull(store, from: log, limit: Int.random(in: 1...40, using: &random))
            }
        }
        // Heal: processes forward, stores push everything, all follow the log to its end.
        for process in processes { try await process.forwardOwnOps() }
        for store in stores {
            for _ in 0..<3 { try await Self.push(store, to: processes[0], limit: 100_000) }
        }
        for process in processes { _ = try await process.catchUp() }
        for store in stores { while try await Self.pull(store, from: log, limit: 500) {} }

        let everything = try await log.pull(
            epoch: "", cursor: 0, interest: .everything, limit: 1_000_000, protocolVersion: Int(BatchCodec.version))
        let ops = everything.ops
        #expect(Set(ops.map(\.id)).count == ops.count, "seed \(seed): an op is twice in the log")
        let reference = ReferenceReplica(ops: ops).snapshot()
        for process in processes {
            #expect(
                try await process.store.snapshot() == reference,
                "seed \(seed): \(process.store.nodeID)'s replica differs from the log; STOCKROOM_SEED=\(seed)")
            #expect(try await process.store.statistics().ops == Int64(ops.count), "seed \(seed): op count")
        }
        for store in stores {
            let differences = try await EdgeAgreement.differences(store, reference: reference, ops: ops)
            #expect(differences.isEmpty, "seed \(seed): \(differences); STOCKROOM_SEED=\(seed)")
        }
    }
}
