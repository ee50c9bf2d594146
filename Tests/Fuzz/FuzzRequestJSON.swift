import StockroomCore

// libFuzzer entry point for the scan and catalogue request bodies (POST /v1/scans,
// /v1/scans/batch, /v1/items, PATCH /v1/items/{sku}). Built by Tests/Fuzz/run.sh with
// `swiftc -sanitize=fuzzer,address`; the contract is FuzzContracts.requestJSON
// (Sources/StockroomTesting/FuzzContracts.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let problem = FuzzContracts.requestJSON(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError(problem)
    }
    return 0
}
