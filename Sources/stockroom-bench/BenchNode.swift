import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// A `stockroom` process with its own data folder, on an ephemeral loopback port.
final class BenchNode: @unchecked Sendable {
    let binary: String
    let data: String
    var process: Process?
    var port = 0

    init(binary: String, name: String) throws {
        self.binary = binary
        data =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "stockroom-bench-\(name)-\(UUID().uuidString)"
            ).path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    func admin(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--data", data, "--log-level", "error"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("stockroom \(arguments) failed") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func start(_ arguments: [String]) async throws {
        let log = data + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data", data, "--listen", "127.0.0.1:0", "--log-level", "warning"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
        self.process = process
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("stockroom did not start:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    func credential(_ role: String) throws -> String {
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: data + "/credentials.json")))
        return (json as? [String: String])?[role] ?? ""
    }

    /// `GET path` with an admin-side token, as JSON.
    func getJSON(_ path: String, token: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
    }

    func coverage(of origin: String, token: String) async throws -> UInt64 {
        let json = try await getJSON("/v1/sync/status", token: token)
        let coverage = json["coverage"] as? [[String: Any]] ?? []
        return UInt64(coverage.first { $0["origin"] as? String == origin }?["seq"] as? Int ?? 0)
    }

    /// Resident memory now, in MB (VmRSS).
    func rssMB() -> Double { statusFigure("VmRSS") }

    /// The most resident memory the process has had, in MB (VmHWM): catches peaks that
    /// a polling loop misses.
    func peakRSSMB() -> Double { statusFigure("VmHWM") }

    /// CPU seconds the process has used (user + system).
    func cpuSeconds() -> Double {
        guard let process,
            let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based).
        return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / 100
    }

    private func statusFigure(_ name: String) -> Double {
        guard let process,
            let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
