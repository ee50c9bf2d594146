import Foundation
import GRDB
import StockroomCore
import Testing

@testable import StockroomStore

/// The writer connection runs with the `synchronous` setting asked for. GRDB's pool sets
/// its own (NORMAL) when it enables WAL; this caught that it had been overriding ours.
@Suite struct DurabilitySettingTests {
    @Test(arguments: StockroomStore.Durability.allCases)
    func theWriterUsesTheRequestedSynchronousSetting(durability: StockroomStore.Durability) throws {
        let path = try TestStores.temporaryDirectory() + "/stockroom.sqlite"
        let store = try StockroomStore(path: path, nodeID: NodeID("store-1")!, durability: durability)
        let setting = try store.writer.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        #expect(setting == (durability == .full ? 2 : 1))
    }
}
