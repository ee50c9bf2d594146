import Foundation
import StockroomTesting
import Testing

/// Inputs the wire-decoder fuzzer found, replayed as a unit test too: each must decode and
/// survive encode + decode (or be refused), never trap.
@Suite struct WireFindingsTests {
    @Test func aSupplierFieldThatIsAListSurvivesTheRoundTrip() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/fuzz/FuzzWireDecoder/supplier-field-list.bin")
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(FuzzContracts.wireDecoder(bytes) == nil)
    }
}
