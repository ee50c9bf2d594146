import Foundation
import Logging
import PostgresNIO
import StockroomCore
import StockroomPostgres
import StockroomStore
import StockroomTesting
import Testing

/// One suite, both hub logs (issue #16): the SQLite store and the PostgreSQL log must
/// answer pushes and pulls the same way (sync-protocol/README.md, sections 4 and 14).
///
/// PostgreSQL is the real server, started from a private folder by
/// `Tests/Postgres/with-postgres.sh` (which `make test` runs), reached through
/// `STOCKROOM_TEST_POSTGRES`; each test gets a database of its own.
@Suite struct HubLogConformanceTests {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    static let store1 = NodeID("store-1")!
    static let store2 = NodeID("store-2")!

    static func sales(_ origin: NodeID, _ seqs: ClosedRange<UInt64>) -> [Op] {
        seqs.map { seq in
            Op(
                id: OpID(origin: origin, seq: seq), hlc: HLC(millis: StockroomStore.systemWallMillis()),
                actor: "till", device: "till-1", scanID: nil,
                payload: .delta(StockKey(sku: "A-1", location: origin.rawValue), quantity: -1, reason: .sale))
        }
    }

    /// Ops of the test's stores only: the SQLite hub's log also holds its own catalogue ops.
    static func storeOps(_ ops: [Op]) -> [Op] { ops.filter { $0.id.origin.rawValue.hasPrefix("store-") } }

    /// A fresh, empty log of `backend`; nil when PostgreSQL was not provided (and not required).
    static func makeLog(_ backend: Backend) async throws -> (any HubLog)? {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "stockroom-hublog-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try StockroomStore(path: directory + "/stockroom.sqlite", nodeID: NodeID("hub")!)
            _ = try await store.createItem(
                sku: "A-1", fields: FieldAssignments([.name: .text("Apple juice")]), actor: "test")
            return SQLiteHubLog(store: store)
        case .postgres:
            guard let url = try await TestPostgres.freshDatabase() else { return nil }
            return try await PostgresHubLog.open(
                PostgresURL(url), proposedNode: NodeID("hub")!, logger: TestPostgres.logger, waitLimit: .seconds(10))
        }
    }

    static func pullAll(
        _ log: any HubLog, interest: SyncInterest = .everything, limit: Int = 1000
    ) async throws
        -> (ops: [Op], coverage: VersionVector, cursor: UInt64)
    {
        let identity = try await log.identity()
        var cursor: UInt64 = 0
        var ops: [Op] = []
        var coverage = VersionVector()
        while true {
            let batch = try await log.pull(
                epoch: identity.epoch, cursor: cursor, interest: interest, limit: limit,
                protocolVersion: Int(BatchCodec.version))
            ops += batch.ops
            coverage = coverage.merging(batch.coverage)
            cursor = batch.cursor
            if !batch.more { break }
        }
        return (ops, coverage, cursor)
    }

    @Test(arguments: Backend.allCases)
    func pushedOpsArePulledInOrderWithTheirCoverage(_ backend: Backend) async throws {
        guard let log = try await Self.makeLog(backend) else { return }
        #expect(try await log.appendPushed(Self.sales(Self.store1, 1...3), from: Self.store1).appended == 3)
        #expect(try await log.appendPushed(Self.sales(Self.store2, 1...2), from: Self.store2).appended == 2)
        #expect(try await log.appendPushed(Self.sales(Self.store1, 4...5), from: Self.store1).highSeq == 5)

        let all = try await Self.pullAll(log)
        let ops = Self.storeOps(all.ops)
        #expect(ops.filter { $0.id.origin == Self.store1 }.map(\.id.seq) == [1, 2, 3, 4, 5])
        #expect(ops.filter { $0.id.origin == Self.store2 }.map(\.id.seq) == [1, 2])
        #expect(ops == Self.storeOps(ops), "ops come back as pushed")
        #expect(all.coverage[Self.store1] == 5 && all.coverage[Self.store2] == 2)
        #expect(try await log.highSeq(of: Self.store1) == 5)
        #expect(try await log.head() >= all.cursor && all.cursor > 0)

        // An edge gets the stock ops of its own locations only.
        let edge = try await Self.pullAll(log, interest: .edge(Self.store2))
        #expect(Self.storeOps(edge.ops).map(\.id) == Self.sales(Self.store2, 1...2).map(\.id))
        #expect(edge.coverage[Self.store1] == 5, "an edge is told the coverage of ops it was not sent")

        // From the last cursor, nothing more; from another epoch, everything again.
        let identity = try await log.identity()
        let rest = try await log.pull(
            epoch: identity.epoch, cursor: all.cursor, interest: .everything, limit: 1000, protocolVersion: 5)
        #expect(rest.ops.isEmpty && !rest.more)
        let restarted = try await log.pull(
            epoch: "another", cursor: all.cursor, interest: .everything, limit: 1000, protocolVersion: 5)
        #expect(Self.storeOps(restarted.ops).count == 7)
    }

    @Test(arguments: Backend.allCases)
    func duplicatesAreSkippedAndGapsAndForeignOpsRefusedWhole(_ backend: Backend) async throws {
        guard let log = try await Self.makeLog(backend) else { return }
        _ = try await log.appendPushed(Self.sales(Self.store1, 1...3), from: Self.store1)
        let overlap = try await log.appendPushed(Self.sales(Self.store1, 2...4), from: Self.store1)
        #expect(overlap.appended == 1 && overlap.duplicates == 2 && overlap.highSeq == 4)

        await #expect(throws: HubLogRefusal.sequenceGap(origin: "store-1", expected: 5, got: 6)) {
            try await log.appendPushed(Self.sales(Self.store1, 6...7), from: Self.store1)
        }
        await #expect(throws: HubLogRefusal.self) {
            try await log.appendPushed(
                Self.sales(Self.store1, 5...5) + Self.sales(Self.store2, 1...1), from: Self.store1)
        }
        #expect(try await log.highSeq(of: Self.store1) == 4)
        #expect(try await log.highSeq(of: Self.store2) == 0)
        #expect(Self.storeOps(try await Self.pullAll(log).ops).map(\.id.seq) == [1, 2, 3, 4])
    }

    /// H1: the same batch reaching several hub processes at once is stored once.
    @Test(arguments: Backend.allCases)
    func aBatchAppendedConcurrentlyIsStoredOnce(_ backend: Backend) async throws {
        guard let log = try await Self.makeLog(backend) else { return }
        let batch = Self.sales(Self.store1, 1...50)
        let appended = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await log.appendPushed(batch, from: Self.store1).appended } }
            return try await group.reduce(0, +)
        }
        #expect(appended == 50)
        let ops = Self.storeOps(try await Self.pullAll(log).ops)
        #expect(ops.map(\.id.seq) == Array(1...50))
    }

    /// Pushes that arrive together (and may share a transaction) keep their own answers:
    /// one with a gap is refused alone, the others are stored.
    @Test(arguments: Backend.allCases)
    func aRefusedPushAmongConcurrentOnesIsRefusedAlone(_ backend: Backend) async throws {
        guard let log = try await Self.makeLog(backend) else { return }
        let origins = (1...20).map { NodeID("store-\($0)")! }
        let gap = NodeID("store-99")!
        let outcomes = try await withThrowingTaskGroup(of: (NodeID, Bool).self) { group in
            for origin in origins {
                group.addTask {
                    (origin, (try? await log.appendPushed(Self.sales(origin, 1...5), from: origin)) != nil)
                }
            }
            group.addTask { (gap, (try? await log.appendPushed(Self.sales(gap, 3...4), from: gap)) != nil) }
            return try await group.reduce(into: [NodeID: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes[gap] == false)
        #expect(origins.allSatisfy { outcomes[$0] == true })
        let ops = Self.storeOps(try await Self.pullAll(log).ops)
        #expect(ops.count == 100 && !ops.contains { $0.id.origin == gap })
        #expect(try await log.highSeq(of: gap) == 0)
    }

    /// H2: a puller running alongside many concurrent appenders, with a small limit so that
    /// it pulls often, still ends with every op exactly once and each origin in seq order.
    @Test(arguments: Backend.allCases)
    func pullsRacingConcurrentAppendsNeverSkipAnOp(_ backend: Backend) async throws {
        guard let log = try await Self.makeLog(backend) else { return }
        let origins = (1...6).map { NodeID("store-\($0)")! }
        let identity = try await log.identity()
        let done = Locked(false)
        async let pulled: [Op] = {
            var cursor: UInt64 = 0
            var ops: [Op] = []
            while true {
                let finished = done.value
                let batch = try await log.pull(
                    epoch: identity.epoch, cursor: cursor, interest: .everything, limit: 7, protocolVersion: 5)
                ops += batch.ops
                cursor = batch.cursor
                if finished && !batch.more { return ops }
            }
        }()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for origin in origins {
                group.addTask {
                    for start in stride(from: UInt64(1), through: 196, by: 5) {
                        _ = try await log.appendPushed(Self.sales(origin, start...(start + 4)), from: origin)
                    }
                }
            }
            try await group.waitForAll()
        }
        done.withLock { $0 = true }
        let ops = Self.storeOps(try await pulled)
        #expect(ops.count == 6 * 200, "every op once")
        for origin in origins {
            #expect(ops.filter { $0.id.origin == origin }.map(\.id.seq) == Array(1...200))
        }
    }
}
