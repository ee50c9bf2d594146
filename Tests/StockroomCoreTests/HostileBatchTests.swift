import StockroomCore
import Testing

/// Batches a correct encoder never makes, decoded as a hostile peer would send them
/// (issue #11 findings 2, 3, 4, 6, 14). Each must be refused with a documented error and
/// without allocating more than the input warrants.
@Suite struct HostileBatchTests {
    static let store = NodeID("store-1")!
    static let other = NodeID("store-2")!

    /// The header of a batch up to (not including) the coverage, by hand.
    static func header(cursor: UInt64 = 0) -> ByteWriter {
        var out = ByteWriter()
        out.raw(BatchCodec.magic)
        out.varint(1)
        out.varint(0)
        out.string("store-1")
        out.string("")
        out.varint(cursor)
        return out
    }

    /// Finding 2 and 4: positions of 2^63 and more are malformed, not a trap later.
    @Test func cursorsAndSeqsPastInt64MaxAreMalformed() {
        var cursor = Self.header(cursor: 1 << 63)
        cursor.varint(0)
        cursor.varint(0)
        cursor.varint(0)
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(cursor.bytes) }

        var coverage = Self.header()
        coverage.varint(1)
        coverage.string("store-1")
        coverage.varint(UInt64(1) << 63)
        coverage.varint(0)
        coverage.varint(0)
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(coverage.bytes) }

        let op = Op(
            id: OpID(origin: Self.store, seq: 1 << 63), hlc: HLC(millis: 1), actor: "a",
            payload: .itemDelete(sku: "A-1"))
        let encoded = BatchCodec.encode(SyncBatch(node: Self.store, ops: [op]))
        #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(encoded) }
    }

    /// Finding 6: 63 Mi empty strings in 64 KiB of deflate allocated 1.1 GB. The string
    /// table is capped before anything is allocated.
    @Test func aStringTableDeclaringMillionsOfEmptyStringsIsRefused() {
        var out = Self.header()
        out.varint(0)
        out.varint(UInt64(SyncBatch.maxStrings + 1))
        out.raw([UInt8](repeating: 0, count: SyncBatch.maxStrings + 1))
        out.varint(0)
        let error = #expect(throws: BatchCodec.DecodingError.self) { try BatchCodec.decode(out.bytes) }
        #expect("\(String(describing: error))".contains("out of range"))
    }

    /// Finding 3: a store's pull answer may carry only its own ops and coverage.
    @Test func aStoreAnswerWithAnotherOriginOrItsCoverageIsRefused() {
        let foreignOp = Op(
            id: OpID(origin: Self.other, seq: 1), hlc: HLC(millis: 1), actor: "a", payload: .itemDelete(sku: "A-1"))
        let source = PullSource.store(locations: .own(Self.store))
        let withForeignOp = SyncBatch(node: Self.store, ops: [foreignOp])
        #expect(PullAnswerRules.check(withForeignOp, from: Self.store, source: source, held: 0) != nil)
        let forgedCoverage = SyncBatch(node: Self.store, coverage: VersionVector([Self.other: 1_000_000]), ops: [])
        #expect(PullAnswerRules.check(forgedCoverage, from: Self.store, source: source, held: 0) != nil)
        let inflatedOwn = SyncBatch(node: Self.store, coverage: VersionVector([Self.store: 1_000_000]), ops: [])
        #expect(PullAnswerRules.check(inflatedOwn, from: Self.store, source: source, held: 10) != nil)
        let honest = SyncBatch(node: Self.store, coverage: VersionVector([Self.store: 10]), ops: [])
        #expect(PullAnswerRules.check(honest, from: Self.store, source: source, held: 10) == nil)
        #expect(PullAnswerRules.check(withForeignOp, from: Self.store, source: .hub, held: 0) == nil, "a hub relays")
        #expect(PullAnswerRules.check(honest, from: Self.other, source: .hub, held: 0) != nil, "wrong node")
    }

    /// Finding 14: "more" without moving the cursor.
    @Test func moreWithoutProgressIsRefused() {
        let stuck = SyncBatch(node: Self.store, epoch: "e", cursor: 40, more: true, ops: [])
        #expect(PullAnswerRules.checkProgress(stuck, sentEpoch: "e", sentCursor: 40) != nil)
        #expect(PullAnswerRules.checkProgress(stuck, sentEpoch: "e", sentCursor: 39) == nil)
        #expect(PullAnswerRules.checkProgress(stuck, sentEpoch: "old", sentCursor: 400) == nil, "a new epoch restarts")
        let done = SyncBatch(node: Self.store, epoch: "e", cursor: 40, more: false, ops: [])
        #expect(PullAnswerRules.checkProgress(done, sentEpoch: "e", sentCursor: 40) == nil)
    }
}
