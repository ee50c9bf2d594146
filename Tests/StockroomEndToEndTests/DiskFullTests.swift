import Foundation
import StockroomTesting
import Testing

/// A node whose data folder is on a small tmpfs that fills up.
@Suite(.serialized) struct DiskFullTests {
    /// Mounts a tmpfs of `megabytes` at a new folder; nil when this machine does not allow
    /// it (not root, or no CAP_SYS_ADMIN in a container).
    static func mountSmallDisk(megabytes: Int) -> String? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stockroom-disk-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return nil }
        mount.waitUntilExit()
        return mount.terminationStatus == 0 ? path : nil
    }

    static func unmount(_ path: String) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["-l", path]
        try? umount.run()
        umount.waitUntilExit()
    }

    /// Writes a filler file until the disk refuses; returns its path.
    static func fill(_ disk: String) -> String {
        let filler = disk + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = FileHandle(forWritingAtPath: filler)!
        let chunk = Data(count: 64 << 10)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()
        return filler
    }

    @Test func aFullDiskRefusesScansWith503KeepsReadsAndRecovers() async throws {
        guard let disk = Self.mountSmallDisk(megabytes: 16) else {
            print("DiskFullTests: skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
            return
        }
        defer { Self.unmount(disk) }
        let seed = SeededGenerator.testSeed()
        let node = try NodeProcess(dataDirectory: disk + "/data")
        #expect(try node.run(["import", "catalog", try CrashRecoveryTests.catalogue(rows: 30)]).status == 0)
        let skus = try ScanLoad.skus(rows: 30)
        try await node.start()
        let scanner = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["scanner"]!)
        func scan(_ id: String) async throws -> (status: Int, body: [String: Any]) {
            try await scanner.send(
                .POST, "/v1/scans", json: #"{"id":"\#(id)","code":"\#(skus[0])","qty":1,"reason":"receive"}"#)
        }
        var acknowledged: [String: Acknowledged] = [:]
        #expect(try await scan("before").status == 201)
        let filler = Self.fill(disk)
        // The WAL may still have room in pages it already holds: scan until it is used up.
        var refused: (status: Int, body: [String: Any])?
        for index in 0..<5000 {
            let reply = try await scan("full-\(index)")
            if reply.status == 201, let op = reply.body["op"] as? String {
                acknowledged["full-\(index)"] = Acknowledged(op: op, sku: skus[0], change: 1)
            } else {
                refused = reply
                break
            }
        }
        #expect(refused?.status == 503, "seed \(seed): \(refused.map { "\($0)" } ?? "never refused")")
        let code = (refused?.body["error"] as? [String: Any])?["code"] as? String
        #expect(code == "storage_unavailable", "seed \(seed)")
        // Reads keep working.
        let read = try await scanner.send(.GET, "/v1/stock/\(skus[0])")
        #expect(read.status == 200, "seed \(seed): a read failed on a full disk")
        // Space returns: scanning resumes, nothing was lost or corrupted.
        try FileManager.default.removeItem(atPath: filler)
        var resumed = false
        for attempt in 0..<20 where !resumed {
            resumed = try await scan("after-\(attempt)").status == 201
            if !resumed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(resumed, "seed \(seed): scans did not resume when space returned")
        let admin = NodeClient(http: .shared, base: scanner.base, token: try node.credentials()["admin"]!)
        let missing = try await ScanLoad.audit(admin, acknowledged: acknowledged, skus: skus, seed: seed)
        #expect(missing.isEmpty, "seed \(seed): acknowledged scans lost on a full disk: \(missing.prefix(5))")
        node.kill(signal: SIGTERM)
        #expect(try await node.waitForExit() == 0)
        let check = try node.run(["check"])
        #expect(check.status == 0, "seed \(seed): \(check.output)")
    }
}
