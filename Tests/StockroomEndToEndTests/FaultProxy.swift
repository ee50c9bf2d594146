import Foundation

/// `Tests/Faults/faultproxy.py` in front of a node: resets, stalls, slow links, truncated
/// responses, duplicated and reordered requests (see the script's header).
final class FaultProxy: @unchecked Sendable {
    let process = Process()
    let outputPath: String
    private(set) var port = 0

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Faults/faultproxy.py").path
    }

    init(upstreamPort: Int, seed: UInt64, rate: Double = 0.35) async throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("faultproxy-\(UUID()).out").path
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.script, "--upstream", "127.0.0.1:\(upstreamPort)", "--seed", "\(seed % 1_000_000_007)",
            "--rate", "\(rate)",
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let range = self.output.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(self.output[range].split(separator: ":").last!)!
                return
            }
            guard process.isRunning else { throw Failure("faultproxy exited: \(self.output)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("faultproxy did not start: \(self.output)")
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var url: String { "http://127.0.0.1:\(port)" }

    func faults(_ on: Bool) { kill(process.processIdentifier, on ? SIGUSR2 : SIGUSR1) }

    /// Stops the proxy; returns how many faults of each kind it injected.
    func stop() async throws -> [String: Int] {
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("faults:") }) else { return [:] }
        var counts: [String: Int] = [:]
        for pair in line.dropFirst("faults:".count).split(separator: " ") {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return counts
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
