public import StockroomCore
import Synchronization

/// The winning counts at one store's locations, kept for the next page of its snapshot.
///
/// Reading them costs a pass over every counted cell of the store: 1 s a page with
/// 1,000,000 cells, and a snapshot of such a store is 400 pages. They change only when a
/// count is applied, so they are reused while ``WriteContext/countsApplied`` stands still.
/// That number is read before the cells are: a count applied meanwhile makes the next page
/// read them again, so a page never uses winners older than its stable cut (15.2). (Older
/// winners would be safe anyway where only the store and its hub write its locations: a
/// count that arrives after the map was read has seen every delta the map's winner has;
/// the check keeps the reuse exact all the same.) One
/// store at a time: a map can hold a million cells. Thread-safe.
public final class WinningCutsCache: Sendable {
    public init() {}

    private let kept = Mutex<
        (store: ObjectIdentifier, peer: NodeID, generation: UInt64, cuts: [StockKey: VersionVector])?
    >(nil)

    public func cuts(atLocationsOf peer: NodeID, in store: StockroomStore) async throws -> [StockKey: VersionVector] {
        let generation = store.writeContext.countsApplied
        // The generation counts from 0 in each opened store: the store is part of the key.
        let key = ObjectIdentifier(store)
        if let hit = kept.withLock({ $0 }), hit.store == key, hit.peer == peer, hit.generation == generation {
            return hit.cuts
        }
        let cuts = try await store.winningCuts(atLocationsOf: peer)
        kept.withLock { $0 = (key, peer, generation, cuts) }
        return cuts
    }

    /// Drops `peer`'s map: its snapshot has ended (a million cells is hundreds of MB).
    public func forget(_ peer: NodeID) {
        kept.withLock { if $0?.peer == peer { $0 = nil } }
    }
}
