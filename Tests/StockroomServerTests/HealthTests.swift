import Foundation
import Logging
import StockroomServer
import StockroomStore
import Synchronization
import Testing

/// `/healthz`, `/readyz`, the exposition's HELP lines and the JSON log format (issue #17).
/// The same against real processes, Prometheus and promtool: Tests/Monitoring.
@Suite struct HealthTests {
    @Test func healthNamesTheReleaseSchemaAndProtocols() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let reply = try await client.send(.get, "/healthz", as: nil)
            #expect(reply.status == .ok)
            #expect(reply.json["status"] as? String == "ok")
            #expect(reply.json["version"] as? String == StockroomVersion.current)
            #expect(reply.json["schema"] as? String == StockroomVersion.schema)
            #expect(reply.json["protocols"] as? [Int] == Array(StockroomVersion.protocols))
            #expect(reply.json["role"] as? String == "edge")
        }
    }

    @Test func aWorkingNodeIsReadyAndARecoveringOneSaysWhyNot() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let ready = try await client.send(.get, "/readyz", as: nil)
            #expect(ready.status == .ok, "\(ready.text)")
            let checks = try #require(ready.json["checks"] as? [String: [String: Any]])
            #expect(Set(checks.keys) == ["database", "migrations", "disk"])
            #expect(checks.values.allSatisfy { $0["ok"] as? Bool == true })

            try await node.store.beginRecovery(because: "its folder was empty")
            let recovering = try await client.send(.get, "/readyz", as: nil)
            #expect(recovering.status == .serviceUnavailable)
            #expect(recovering.errorCode == "not_ready")
            let failed = try #require(recovering.json["checks"] as? [String: [String: Any]])
            #expect(failed["recovery"]?["ok"] as? Bool == false)
            #expect(failed["database"]?["ok"] as? Bool == true)
        }
    }

    @Test func everyExportedFamilyHasHelpAndTheRestIsUnchanged() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let text = try await client.send(.get, "/metrics", as: .admin).text
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
                let name = line.split(separator: " ")[2]
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "\(name) has no HELP line")
            }
            #expect(text.contains("stockroom_build_info{"))
            #expect(text.contains(#"stockroom_outbox_messages{status="dead"} 0"#))
            #expect(text.contains(#"stockroom_sync_refused_batches_total{rule="location"} 0"#))
            let stripped = lines.filter { !$0.hasPrefix("# HELP ") }.joined(separator: "\n")
            #expect(!stripped.isEmpty && text.hasSuffix("\n") == stripped.hasSuffix("\n"))
        }
    }

    @Test func jsonLogLinesCarryTheUsualFieldsAndEscapeWhatTheyMust() throws {
        let written = Mutex<[Data]>([])
        var handler = JSONLogHandler(label: "stockroom") { line in written.withLock { $0.append(line) } }
        handler.logLevel = .info
        handler[metadataKey: "node.id"] = "store-1"
        var logger = Logger(label: "stockroom") { _ in handler }
        logger.logLevel = .info
        logger.debug("not written")
        logger.warning(
            "a \"quoted\"\nmessage", metadata: ["message": "clash", "sync.peer": "https://hub", "list": ["a", "b"]])
        let lines = written.withLock { $0 }
        try #require(lines.count == 1)
        #expect(lines[0].last == 0x0A && lines[0].dropLast().firstIndex(of: 0x0A) == nil, "one line")
        let entry = try #require(try JSONSerialization.jsonObject(with: lines[0]) as? [String: Any])
        #expect(entry["message"] as? String == "a \"quoted\"\nmessage")
        #expect(entry["metadata.message"] as? String == "clash")
        #expect(entry["level"] as? String == "warning")
        #expect(entry["node.id"] as? String == "store-1")
        #expect(entry["sync.peer"] as? String == "https://hub")
        #expect(entry["list"] as? [String] == ["a", "b"])
        let time = try #require(entry["time"] as? String)
        #expect(time.hasSuffix("Z") && time.contains("."), "\(time)")
    }
}
