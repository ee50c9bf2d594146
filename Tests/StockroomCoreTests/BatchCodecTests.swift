import Foundation
import StockroomTesting
import Testing

@testable import StockroomCore

@Suite struct BatchCodecTests {
    static let store = NodeID("store-042")!

    static func sales(count: Int, seed: UInt64) -> [Op] { SaleStream.ops(count: count, seed: seed) }

    @Test func randomBatchesRoundTrip() throws {
        let seed = SeededGenerator.testSeed()
        var generator = RandomOps(seed: seed, origins: 4, skus: 20, locations: 3)
        for round in 0..<20 {
            var ops = generator.take(200)
            ops = ops.sorted { ($0.id.origin, $0.id.seq) < ($1.id.origin, $1.id.seq) }
            let batch = SyncBatch(
                node: NodeID("hub")!, epoch: "e\(round)", cursor: UInt64(round * 1000), more: round % 2 == 0,
                coverage: VersionVector([NodeID("node-1")!: 77]), ops: ops)
            #expect(try BatchCodec.decode(BatchCodec.encode(batch)) == batch, "seed \(seed) round \(round)")
        }
        let sales = SyncBatch(node: Self.store, ops: Self.sales(count: 1000, seed: seed))
        #expect(try BatchCodec.decode(BatchCodec.encode(sales)) == sales, "seed \(seed)")
    }

    @Test func everyTruncationIsRefused() {
        let bytes = BatchCodec.encode(SyncBatch(node: Self.store, ops: Self.sales(count: 30, seed: 1)))
        for length in 0..<bytes.count {
            #expect(throws: BatchCodec.DecodingError.self, "a prefix of \(length) bytes decoded") {
                try BatchCodec.decode(Array(bytes.prefix(length)))
            }
        }
    }

    @Test func corruptedBytesNeverCrashTheDecoder() {
        let seed = SeededGenerator.testSeed()
        var random = SeededGenerator(seed: seed)
        var generator = RandomOps(seed: seed, origins: 3)
        let ops = generator.take(100).sorted { ($0.id.origin, $0.id.seq) < ($1.id.origin, $1.id.seq) }
        let bytes = BatchCodec.encode(SyncBatch(node: Self.store, ops: ops))
        for _ in 0..<2000 {
            var corrupted = bytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                corrupted[Int.random(in: 0..<corrupted.count, using: &random)] = UInt8.random(
                    in: 0...255, using: &random)
            }
            if let batch = try? BatchCodec.decode(corrupted) {
                #expect(batch.ops.count <= SyncBatch.maxOps)
            }
        }
    }

    @Test func structuralProblemsAreNamed() throws {
        #expect(throws: BatchCodec.DecodingError.notABatch) { try BatchCodec.decode(Array("{\"ops\":[]}".utf8)) }
        var writer = ByteWriter()
        writer.raw(BatchCodec.magic)
        let unknown = BatchCodec.supportedVersions.upperBound + 1
        writer.varint(unknown)
        #expect(throws: BatchCodec.DecodingError.unsupportedVersion(unknown)) { try BatchCodec.decode(writer.bytes) }
        let good = BatchCodec.encode(SyncBatch(node: Self.store, ops: Self.sales(count: 3, seed: 2)))
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(good + [0]) }
        // Seqs of one origin must increase.
        let ops = Self.sales(count: 2, seed: 3)
        let backwards = BatchCodec.encode(SyncBatch(node: Self.store, ops: [ops[1], ops[0]]))
        #expect(throws: BatchCodec.DecodingError.malformed("seqs of origin store-042 do not increase")) {
            try BatchCodec.decode(backwards)
        }
    }

    /// A regression guard on the encoding's size, not a benchmark. Uncompressed, a random
    /// sale over 10,000 SKUs costs ~29 bytes, most of it the SKU's text in the batch's
    /// (sorted) string table, since nearly every SKU of a 1,000-op batch is distinct;
    /// deflate in the transport takes that to under 8 (StockroomSyncTests).
    @Test func aSaleStaysSmallBeforeCompression() {
        let bytes = BatchCodec.encode(SyncBatch(node: Self.store, ops: Self.sales(count: 1000, seed: 4)))
        let perOp = Double(bytes.count) / 1000
        #expect(perOp < 32, "\(perOp) bytes per sale uncompressed")
    }
}

/// The fuzzers' seed corpora (and any crash input added there as a regression) keep the
/// fuzzers' contracts (StockroomTesting's FuzzContracts) in the normal suite.
@Suite struct FuzzCorpusTests {
    static func corpus(_ name: String) throws -> [(file: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/fuzz/\(name)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
            ($0, [UInt8](try Data(contentsOf: folder.appendingPathComponent($0))))
        }
    }

    @Test func wireDecoderCorpusDecodesOrIsRefused() throws {
        let inputs = try Self.corpus("FuzzWireDecoder")
        #expect(inputs.count >= 6)
        #expect(inputs.contains { (try? BatchCodec.decode($0.bytes)) != nil }, "no seed decodes: the corpus is stale")
        for input in inputs {
            #expect(FuzzContracts.wireDecoder(input.bytes) == nil, "\(input.file)")
        }
    }

    @Test func requestJSONCorpusIsAcceptedOrRefusedCleanly() throws {
        let inputs = try Self.corpus("FuzzRequestJSON")
        #expect(inputs.count >= 14)
        for input in inputs {
            #expect(FuzzContracts.requestJSON(input.bytes) == nil, "\(input.file)")
        }
    }
}
