import Foundation
import StockroomTesting
import Testing

/// A hub serving HTTPS with a certificate from the chain's own CA; stores verify it.
@Suite(.serialized) struct TLSTests {
    /// A CA and a certificate for 127.0.0.1 signed by it, made with the openssl CLI.
    static func makeCertificates() throws -> (folder: String, ca: String, cert: String, key: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stockroom-tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n".write(
            toFile: folder + "/ext", atomically: true, encoding: .utf8)
        let steps = [
            "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=Stockroom-test-CA",
            "req -newkey rsa:2048 -nodes -keyout hub.key -out hub.csr -subj /CN=127.0.0.1",
            "x509 -req -in hub.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out hub.pem -days 2 -extfile ext",
        ]
        for step in steps {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = step.split(separator: " ").map(String.init)
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw Failure("openssl \(step) failed") }
        }
        return (folder, folder + "/ca.pem", folder + "/hub.pem", folder + "/hub.key")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/openssl"), "needs openssl (make test-deps)"))
    func storesSyncWithAnHTTPSHubTheyVerify() async throws {
        let seed = SeededGenerator.testSeed()
        let tls = try Self.makeCertificates()
        let full = try SyncEndToEndTests.Chain.make()
        let chain = full
        try await chain.hub.start(
            extraArguments: ["--role", "hub", "--tls-cert", tls.cert, "--tls-key", tls.key],
            listen: "127.0.0.1:\(chain.hubPort)")
        #expect(chain.hub.log.contains("listening on https://127.0.0.1:\(chain.hubPort)"))
        let url = "https://127.0.0.1:\(chain.hubPort)"
        func token(_ node: String) throws -> String {
            try chain.hub.run(["token", "create", "--role", "peer", "--node", node]).output
                .split(separator: "\n").last.map(String.init) ?? ""
        }
        // store-1 trusts the chain's CA; store-2 only the system's, which does not know it.
        try await chain.stores[0].start(extraArguments: [
            "--node", "store-1", "--hub", url, "--hub-token", try token("store-1"), "--hub-ca", tls.ca,
        ])
        try await chain.stores[1].start(extraArguments: [
            "--node", "store-2", "--hub", url, "--hub-token", try token("store-2"),
        ])
        let trusting = try chain.client(chain.stores[0], role: "admin")
        let doubting = try chain.client(chain.stores[1], role: "admin")
        let deadline = Date().addingTimeInterval(20)
        var items = 0
        while Date() < deadline, items < chain.skus.count {
            items = try await trusting.send(.GET, "/v1/status").body["items"] as? Int ?? 0
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(items == chain.skus.count, "seed \(seed): the store that trusts the CA got \(items) items over TLS")
        #expect(try await chain.scan(at: 0, batches: 1, seed: seed, tag: "t") == 100)
        _ = try await trusting.send(.POST, "/v1/sync", timeout: .seconds(30))
        let pushed = (try await trusting.send(.GET, "/v1/sync/status").body["peers"] as? [[String: Any]])?.first
        #expect(pushed?["pending_out"] as? Int == 0, "seed \(seed): \(pushed ?? [:])")
        // Its background sync keeps failing the handshake, and says why.
        var refused: [String: Any]?
        let failing = Date().addingTimeInterval(30)
        while Date() < failing, refused?["last_error"] == nil {
            refused = (try await doubting.send(.GET, "/v1/sync/status").body["peers"] as? [[String: Any]])?.first
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(try await doubting.send(.GET, "/v1/status").body["items"] as? Int == 0)
        let error = (refused?["last_error"] as? String ?? "").lowercased()
        #expect(error.contains("certificate") || error.contains("handshake") || error.contains("ssl"), "\(error)")
        try await chain.stop()
    }
}
