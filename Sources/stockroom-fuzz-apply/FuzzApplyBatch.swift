import Foundation
import StockroomTesting

// The apply fuzzer of issue #11: decode, validate and apply a batch into a real store
// (the contract: ApplyBatchHarness in StockroomTesting).
//
// Built two ways:
// - normally (part of `swift build`): a command that replays inputs,
//   `stockroom-fuzz-apply FILE…`, or writes the seed corpus, `--make-seeds DIR`;
// - by Tests/Fuzz/run.sh with `-sanitize=fuzzer,address -DFUZZING`: libFuzzer's entry
//   point, libFuzzer supplies `main`.

/// Runs an async contract check from libFuzzer's synchronous callback.
func blockingCheck(_ harness: ApplyBatchHarness, _ bytes: [UInt8]) -> String? {
    let result = LockedResult()
    let done = DispatchSemaphore(value: 0)
    Task {
        result.value = await harness.check(bytes)
        done.signal()
    }
    done.wait()
    return result.value
}

final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

#if FUZZING
nonisolated(unsafe) let harness = try! ApplyBatchHarness()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzApplyBatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let problem = blockingCheck(harness, Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError(problem)
    }
    return 0
}
#else
@main
struct FuzzApplyBatchCommand {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--make-seeds", arguments.count == 2 {
            let directory = URL(fileURLWithPath: arguments[1])
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (index, seed) in ApplyBatchHarness.seeds().enumerated() {
                try Data(seed).write(to: directory.appendingPathComponent(String(format: "seed-%03d", index)))
            }
            return
        }
        guard !arguments.isEmpty else {
            print("usage: stockroom-fuzz-apply FILE… | --make-seeds DIR")
            exit(2)
        }
        let harness = try ApplyBatchHarness()
        for file in arguments {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            if let problem = await harness.check(bytes) {
                print("\(file): \(problem)")
                exit(1)
            }
        }
        print("\(arguments.count) inputs: contract holds")
    }
}
#endif
