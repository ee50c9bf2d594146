import StockroomCore

// libFuzzer entry point for the sync wire decoder (sync-protocol section 5). Built by
// Tests/Fuzz/run.sh with `swiftc -sanitize=fuzzer,address`; the contract is
// FuzzContracts.wireDecoder (Sources/StockroomTesting/FuzzContracts.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let problem = FuzzContracts.wireDecoder(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError(problem)
    }
    return 0
}
