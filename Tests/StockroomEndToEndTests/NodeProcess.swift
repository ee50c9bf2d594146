import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// The real `stockroom` binary, started on a loopback port with its own data folder.
final class NodeProcess: @unchecked Sendable {
    let dataDirectory: String
    let logPath: String
    private(set) var process: Process?
    private(set) var port = 0

    /// The binary under test: `STOCKROOM_BIN`, or the debug build next to this package.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["STOCKROOM_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/stockroom").path
    }

    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures").path
    }

    /// A node with its data in `dataDirectory` (a fresh temporary folder by default); the
    /// log goes next to the temporary folder either way.
    init(dataDirectory: String? = nil) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stockroom-e2e-\(UUID().uuidString)"
        )
        .path
        self.dataDirectory = dataDirectory ?? scratch
        try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true)
        logPath = scratch + ".log"
    }

    /// Runs an administrative subcommand to completion; returns its exit status and output.
    @discardableResult
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Self.runBinary(arguments + ["--data", dataDirectory])
    }

    /// Runs the binary with exactly these arguments (no `--data` added).
    static func runBinary(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProgram(Self.binary, arguments)
    }

    /// Runs any program to completion; returns its exit status and its output (stdout and
    /// stderr together).
    static func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Starts `serve` on an ephemeral port and waits until the banner says where it listens.
    /// `launcher` runs the binary through another command (e.g. `faketime -f -3d`).
    func start(
        extraArguments: [String] = [], environment: [String: String] = [:], listen: String = "127.0.0.1:0",
        launcher: [String] = []
    )
        async throws
    {
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let process = Process()
        let command = launcher + [Self.binary, "serve", "--data", dataDirectory, "--listen", listen] + extraArguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(
                of: #"listening on https?://127\.0\.0\.1:(\d+)"#, options: .regularExpression,
                range: text.index(text.startIndex, offsetBy: startOffset)..<text.endIndex)
            {
                port = Int(text[range].split(separator: ":").last!)!
                startOffset = text.distance(from: text.startIndex, to: range.upperBound)
                return
            }
            guard process.isRunning else { throw Failure("stockroom exited during start:\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("stockroom did not start within 30 s")
    }
    private var startOffset = 0

    /// Signals the node; when it runs under a launcher, the node is the launcher's child.
    func kill(signal: Int32) {
        guard let process else { return }
        let pid = process.processIdentifier
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let childPIDs = children.split(separator: " ").compactMap { Int32($0) }
        // The launcher (faketime) waits for the node and exits with it.
        for child in childPIDs { Foundation.kill(child, signal) }
        if childPIDs.isEmpty { Foundation.kill(pid, signal) }
    }

    /// Waits for the process to exit and returns its status.
    func waitForExit(timeout: TimeInterval = 20) async throws -> Int32 {
        guard let process else { return 0 }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                throw Failure(
                    "stockroom (\(dataDirectory)) did not exit within \(timeout) s; log:\n\(log.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func credentials() throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/credentials.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: String] ?? [:]
    }

    deinit {
        if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// A loopback port nothing listens on right now (for a node that must restart on the
/// same address).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopbackAddress(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw Failure("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// 127.0.0.1:`port` as a socket address.
func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return address
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// JSON over HTTP/1.1 to a node, with a bearer token.
struct NodeClient: Sendable {
    let http: HTTPClient
    let base: String
    let token: String

    func send(
        _ method: HTTPMethod, _ path: String, json: String? = nil, timeout: TimeAmount = .seconds(10)
    ) async throws -> (status: Int, body: [String: Any]) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await http.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
        return (Int(response.status.code), object)
    }
}
