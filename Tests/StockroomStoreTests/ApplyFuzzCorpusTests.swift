import Foundation
import StockroomCore
import StockroomStore
import StockroomTesting
import Testing

/// The apply fuzzer's corpus (fixtures/fuzz/FuzzApplyBatch: the seeds and whatever
/// `make fuzz` found worth keeping) through its contract, in every `make test`: decode,
/// validate and apply into a real store; a documented refusal that changes nothing, or an
/// accepted batch after which `stockroom check` passes.
@Suite struct ApplyFuzzCorpusTests {
    @Test func everyInputIsAppliedOrRefusedCleanly() async throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/fuzz/FuzzApplyBatch")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 64)
        let harness = try ApplyBatchHarness()
        var outcomes: [ApplyBatchHarness.Outcome] = []
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(file)))
            let outcome = await harness.run(bytes)
            if case .broken(let problem) = outcome { Issue.record("\(file): \(problem)") }
            outcomes.append(outcome)
        }
        // The corpus exercises both sides of the contract, or it proves little.
        #expect(outcomes.contains(.accepted) && outcomes.contains(.refused), "\(outcomes)")
    }
}
