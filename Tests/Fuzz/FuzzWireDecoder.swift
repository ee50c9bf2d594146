import StockroomCore

// libFuzzer entry point for the sync wire decoder (sync-protocol section 5).
//
// Built by Tests/Fuzz/run.sh together with StockroomCore's sources (no dependencies) with
// `swiftc -sanitize=fuzzer,address`. The contract under test: any bytes either decode to
// a batch that encodes back to a batch decoding to the same value, or throw; never crash,
// hang or read out of bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let batch = try? BatchCodec.decode(bytes) else { return 0 }
    let again = try? BatchCodec.decode(BatchCodec.encode(batch))
    precondition(again == batch, "a decoded batch does not survive encode + decode")
    return 0
}
