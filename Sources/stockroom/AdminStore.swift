import ArgumentParser
import Foundation
import Logging
import StockroomCore
import StockroomServer
import StockroomStore

/// Opens a node's store for an administrative command. Works while the daemon runs: SQLite
/// WAL lets both processes in, and the daemon's writer picks up ops written here.
enum AdminStore {
    static func open(
        _ options: NodeOptions, createWithNode node: String? = nil, allowCreate: Bool = false
    ) async throws
        -> (StockroomStore, DataDirectory)
    {
        let reader = try await options.reader()
        let logger = try options.bootstrapLogging(reader)
        let directory = DataDirectory(path: options.dataDirectory(reader))
        guard allowCreate || FileManager.default.fileExists(atPath: directory.databasePath) else {
            throw ValidationError(
                "no node in \(directory.path); start one with 'stockroom serve --data \(directory.path)' or pass --data"
            )
        }
        var nodeID: NodeID?
        if let node {
            guard let id = NodeID(node) else { throw ValidationError("node id '\(node)' is not valid") }
            nodeID = id
        }
        do {
            return (try directory.openStore(nodeID: nodeID, logger: logger), directory)
        } catch let error as StoreError {
            throw ValidationError(error.description)
        }
    }
}
