import Foundation
import GRDB
import StockroomCore
import StockroomStore
import Testing

/// A data folder a newer stockroom migrated is refused with both versions named, before
/// anything writes to it (issues #16 and #17: downgrades).
@Suite struct SchemaVersionTests {
    @Test func aNewerSchemaIsRefusedAndTheFileIsLeftAsItWas() async throws {
        let directory = try TestStores.temporaryDirectory()
        let path = directory + "/stockroom.sqlite"
        do {
            let store = try StockroomStore(path: path, nodeID: NodeID("store-1")!)
            try await TestStores.seedCatalogue(store)
        }
        let status = try SchemaStatus.read(path: path)
        #expect(status.pending.isEmpty && status.applied.last == SchemaStatus.current)
        // What a later release would leave: a migration this binary does not know.
        do {
            // The store just closed may still be finishing a checkpoint (seen on a loaded CI
            // machine: "database is locked"): wait for the lock as the daemon would.
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            }
            try queue.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { try SchemaStatus.read(path: path) }
        do {
            _ = try StockroomStore(path: path, nodeID: NodeID("store-1")!)
            Issue.record("a newer schema was opened")
        } catch let error as StoreError {
            #expect("\(error)".contains("v99-from-the-future") && "\(error)".contains(SchemaStatus.current))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the refused file was changed")
    }
}
