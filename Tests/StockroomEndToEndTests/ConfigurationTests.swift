import AsyncHTTPClient
import Foundation
import Testing

/// Flags win over STOCKROOM_* environment variables, which win over the config file.
@Suite struct ConfigurationTests {
    @Test func flagsBeatEnvironmentWhichBeatsTheConfigFile() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stockroom-\(UUID().uuidString).json"
        ).path
        // Every key of the file is checked: `web` and the backup keys too (a key the check
        // did not know refused the file, though the README documents it).
        try #"{"node": "store-file", "synchronous": "normal", "log_level": "warning", "web": false, "backup_keep": 3}"#
            .write(toFile: config, atomically: true, encoding: .utf8)

        let fromFile = try NodeProcess()
        try await fromFile.start(extraArguments: ["--config", config])
        #expect(fromFile.log.contains("node 'store-file'"))
        let signIn = try await NodeClient(http: .shared, base: "http://127.0.0.1:\(fromFile.port)", token: "")
            .send(.GET, "/signin")
        #expect(signIn.status == 404, "\"web\": false left the dashboard on")
        fromFile.kill(signal: SIGTERM)
        _ = try await fromFile.waitForExit()

        let fromEnvironment = try NodeProcess()
        try await fromEnvironment.start(environment: ["STOCKROOM_CONFIG": config, "STOCKROOM_NODE": "store-env"])
        #expect(fromEnvironment.log.contains("node 'store-env'"))
        fromEnvironment.kill(signal: SIGTERM)
        _ = try await fromEnvironment.waitForExit()

        let fromFlag = try NodeProcess()
        try await fromFlag.start(
            extraArguments: ["--config", config, "--node", "store-flag"], environment: ["STOCKROOM_NODE": "store-env"])
        #expect(fromFlag.log.contains("node 'store-flag'"))
        fromFlag.kill(signal: SIGTERM)
        _ = try await fromFlag.waitForExit()
        // The node id is kept: restarting without --node keeps it, a different one is refused.
        let mismatch = try fromFlag.run(["serve", "--node", "someone-else", "--listen", "127.0.0.1:0"])
        #expect(mismatch.status != 0 && mismatch.output.contains("belongs to node 'store-flag'"))
    }

    @Test func aBrokenConfigFileIsAClearError() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stockroom-\(UUID().uuidString).json"
        ).path
        try "{ not json".write(toFile: config, atomically: true, encoding: .utf8)
        let node = try NodeProcess()
        let result = try node.run(["serve", "--config", config, "--listen", "127.0.0.1:0"])
        #expect(result.status != 0 && result.output.contains("is not a JSON object"), "\(result.output)")
        let missing = try node.run(["serve", "--config", "/nonexistent/stockroom.json", "--listen", "127.0.0.1:0"])
        #expect(missing.status != 0 && missing.output.contains("cannot read config file"))
    }

    /// Finding 18 of issue #11: a value of the wrong type and an unknown key were ignored,
    /// and the node started on the default address.
    @Test func aWrongTypeOrAnUnknownKeyIsRefused() throws {
        let node = try NodeProcess()
        for (json, expected) in [
            (#"{"listen": 18099}"#, "'listen' must be a string"),
            (#"{"lisen": "127.0.0.1:18099"}"#, "unknown key 'lisen'"),
            (#"{"peers": "http://x,y"}"#, "'peers' must be an array of strings"),
        ] {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent(
                "stockroom-\(UUID().uuidString).json"
            ).path
            try json.write(toFile: config, atomically: true, encoding: .utf8)
            let result = try node.run(["serve", "--config", config, "--listen", "127.0.0.1:0"])
            #expect(result.status != 0 && result.output.contains(expected), "\(json): \(result.output)")
        }
    }

    /// Finding 22 of issue #11: raw NIO errors reached operators.
    @Test func anUnknownListenHostSaysWhatToDo() throws {
        let node = try NodeProcess()
        let result = try node.run(["serve", "--listen", "nosuchhost.invalid:8080"])
        #expect(result.status != 0 && result.output.contains("no such host"), "\(result.output)")
        #expect(!result.output.contains("SocketAddressError"))
    }
}
