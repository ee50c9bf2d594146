// Writes the wire decoder's seed corpus (fixtures/fuzz/FuzzWireDecoder/): encoded batches
// of seeded random ops of every kind, from StockroomTesting's generator. Run by
// `Tests/Fuzz/run.sh --seeds`; the output is committed.
import Foundation
import StockroomCore

@main struct MakeSeeds {
    static func main() throws {
        let folder = CommandLine.arguments[1]
        for (index, size) in [0, 1, 2, 5, 20, 100].enumerated() {
            var generator = RandomOps(seed: UInt64(index + 1), origins: 3, skus: 6, locations: 2)
            let ops = generator.take(size)
            var coverage = VersionVector()
            for op in ops { coverage[op.id.origin] = max(coverage[op.id.origin], op.id.seq) }
            let batch = SyncBatch(
                node: NodeID("hub")!, epoch: index % 2 == 0 ? "" : "e\(index)", cursor: UInt64(size * 7),
                more: index % 3 == 0, coverage: coverage, ops: ops)
            try Data(BatchCodec.encode(batch)).write(to: URL(fileURLWithPath: "\(folder)/batch-\(size)-ops"))
        }
    }
}
