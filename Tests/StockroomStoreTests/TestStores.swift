import Foundation
import GRDB
import StockroomCore
import StockroomStore

/// Real databases for store tests: an on-disk `DatabasePool` (what the daemon runs) or a
/// `DatabaseQueue`, in a fresh temporary folder that is removed afterwards.
enum TestStores {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stockroom-test-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    enum Kind: CaseIterable, Sendable { case pool, queue }

    static func make(
        _ kind: Kind = .pool, node: String = "store-1", at directory: String? = nil
    ) throws -> StockroomStore {
        let path = try (directory ?? temporaryDirectory()) + "/stockroom.sqlite"
        switch kind {
        case .pool:
            return try StockroomStore(path: path, nodeID: NodeID(node)!)
        case .queue:
            return try StockroomStore(writer: DatabaseQueue(path: path), nodeID: NodeID(node)!)
        }
    }

    /// A small catalogue: A-1 with an EAN, B-2 with a UPC-A, C-3 without barcode.
    static func seedCatalogue(_ store: StockroomStore) async throws {
        _ = try await store.createItem(
            sku: "A-1",
            fields: FieldAssignments([
                .name: .text("Apple juice"), .barcodes: .texts(["4006381333931"]), .threshold: .int(5),
            ]),
            actor: "test")
        _ = try await store.createItem(
            sku: "B-2", fields: FieldAssignments([.name: .text("Bread"), .barcodes: .texts(["036000291452"])]),
            actor: "test")
        _ = try await store.createItem(sku: "C-3", fields: FieldAssignments([.name: .text("Cheese")]), actor: "test")
    }
}

extension ScanCommand {
    static func sale(_ id: String, _ code: String, _ qty: Int64 = 1, device: String? = "till-1") -> ScanCommand {
        ScanCommand(scanID: id, code: code, quantity: qty, action: .move(.sale), device: device)
    }
    static func receive(_ id: String, _ code: String, _ qty: Int64, device: String? = "till-1") -> ScanCommand {
        ScanCommand(scanID: id, code: code, quantity: qty, action: .move(.receive), device: device)
    }
}
