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
public func fuzzApplyBatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let problem = blockingCheck(harness, bytes) { fatalError(problem) }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

// SwiftPM links an executable's entry point as `<module>_main`, so libFuzzer's own `main`
// is not linked; this one hands the command line to libFuzzer's driver.
@_cdecl("stockroom_fuzz_apply_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in fuzzApplyBatch(data, size) }
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
            for (index, seed) in ApplyBatchHarness.documentSeeds().enumerated() {
                try Data(seed).write(to: directory.appendingPathComponent(String(format: "documents-%02d", index)))
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
