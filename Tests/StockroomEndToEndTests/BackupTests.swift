import AsyncHTTPClient
import Foundation
import StockroomCore
import StockroomTesting
import Testing

/// Issue #16, backups of a SQLite node, with the real binary: `stockroom backup` while 8
/// scanners scan, the retention policy, `stockroom restore` and its refusals (a folder in
/// use, a folder holding a database, a damaged backup), and the daemon's own schedule.
@Suite(.serialized) struct BackupTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stockroom-backups-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aBackupTakenWhileScanningRestoresToAConsistentNode() async throws {
        let seed = SeededGenerator.testSeed()
        let node = try NodeProcess()
        let imported = try node.run(["import", "catalog", try CrashRecoveryTests.catalogue(rows: 50)])
        #expect(imported.status == 0, "\(imported.output)")
        try await node.start()
        defer { node.kill(signal: SIGKILL) }
        let client = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["scanner"]!)
        let admin = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(node.port)", token: try node.credentials()["admin"]!)
        let folder = try Self.scratch()
        let stop = Locked(false)
        let load = Task {
            try await ScanLoad(skus: try ScanLoad.skus(rows: 50), seed: seed, round: 0).run(
                client, scanners: 8, stop: stop)
        }
        // Three backups under load, a second apart (names are per second); keep 2. Each
        // waits until scans have gone in since the last (on a loaded machine the scanners
        // are slow to start), so every backup runs beside live writes.
        var outputs: [String] = []
        var opsSeen = try await admin.send(.GET, "/v1/status").body["ops"] as? Int ?? 0
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(1100))
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, (try await admin.send(.GET, "/v1/status").body["ops"] as? Int ?? 0) < opsSeen + 10
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            opsSeen = try await admin.send(.GET, "/v1/status").body["ops"] as? Int ?? 0
            let backup = try node.run(["backup", "--to", folder, "--keep", "2"])
            #expect(backup.status == 0, "backup failed (seed \(seed)): \(backup.output)")
            outputs.append(backup.output)
        }
        stop.withLock { $0 = true }
        let (acknowledged, _) = try await load.value
        #expect(acknowledged.count >= 30, "too few scans during the backups (seed \(seed))")
        let backups = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("stockroom-") }
            .sorted()
        #expect(backups.count == 2, "the retention policy kept \(backups)")
        #expect(outputs.last?.contains("removed the old backup") == true, "\(outputs.last ?? "")")
        let newest = folder + "/" + backups.last!
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: newest + "/MANIFEST.json")))
                as? [String: Any])
        let opsNow = try await admin.send(.GET, "/v1/status").body["ops"] as? Int ?? 0
        let backedUp = manifest["ops"] as? Int ?? -1
        #expect(backedUp > 0 && backedUp <= opsNow)

        // Restore into the folder the daemon serves: refused, and the folder is untouched.
        let busy = try NodeProcess.runBinary(["restore", "--from", newest, "--data", node.dataDirectory, "--replace"])
        #expect(busy.status != 0 && busy.output.contains("in use"), "\(busy.output)")

        // Into a new folder: verified, checked, and it serves what the backup holds.
        let restored = try NodeProcess()
        try FileManager.default.removeItem(atPath: restored.dataDirectory)
        let restore = try NodeProcess.runBinary(["restore", "--from", newest, "--data", restored.dataDirectory])
        #expect(restore.status == 0, "\(restore.output)")
        #expect(restore.output.contains("state vs log ok"), "\(restore.output)")
        #expect(try restored.run(["check"]).status == 0)
        try await restored.start()
        defer { restored.kill(signal: SIGKILL) }
        let copy = NodeClient(
            http: .shared, base: "http://127.0.0.1:\(restored.port)", token: try restored.credentials()["admin"]!)
        #expect(try await copy.send(.GET, "/v1/status").body["ops"] as? Int == backedUp)
        restored.kill(signal: SIGTERM)
        _ = try await restored.waitForExit()

        // Again over it: refused without --replace; with it, the old file is set aside.
        let again = try NodeProcess.runBinary(["restore", "--from", newest, "--data", restored.dataDirectory])
        #expect(again.status != 0 && again.output.contains("--replace"), "\(again.output)")
        let replaced = try NodeProcess.runBinary([
            "restore", "--from", newest, "--data", restored.dataDirectory, "--replace",
        ])
        #expect(replaced.status == 0, "\(replaced.output)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: restored.dataDirectory).contains {
                $0.hasPrefix("stockroom.sqlite.before-restore-")
            })

        // A damaged backup (one byte changed) is refused before anything is written.
        let damaged = folder + "/damaged"
        try FileManager.default.copyItem(atPath: newest, toPath: damaged)
        let handle = try #require(FileHandle(forUpdatingAtPath: damaged + "/stockroom.sqlite"))
        try handle.seek(toOffset: 5000)
        let byte = try handle.read(upToCount: 1) ?? Data([0])
        try handle.seek(toOffset: 5000)
        handle.write(Data([byte[0] ^ 0xFF]))
        try handle.close()
        let fresh = try Self.scratch() + "/data"
        let refused = try NodeProcess.runBinary(["restore", "--from", damaged, "--data", fresh])
        #expect(refused.status != 0 && refused.output.contains("damaged"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: fresh + "/stockroom.sqlite"))
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// `--backup-dir` without cron: the newest backup there is two days old, so the daemon
    /// takes one within seconds of starting, and logs it.
    @Test func theDaemonTakesBackupsOnItsSchedule() async throws {
        let node = try NodeProcess()
        let folder = try Self.scratch()
        let old = folder + "/stockroom-20240101T000000Z"
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: true)
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-2 * 86_400)], ofItemAtPath: old)
        try await node.start(extraArguments: ["--backup-dir", folder, "--backup-every", "3600", "--backup-keep", "3"])
        defer { node.kill(signal: SIGKILL) }
        let deadline = Date().addingTimeInterval(30)
        var backups: [String] = []
        while Date() < deadline {
            backups = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
                $0.hasPrefix("stockroom-") && $0 != "stockroom-20240101T000000Z" && !$0.hasSuffix(".partial")
            }
            if !backups.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(backups.count == 1, "no scheduled backup within 30 s: \(node.log.suffix(2000))")
        #expect(node.log.contains("backup taken"))
        // A bad schedule is refused at start with the reason.
        let bad = try node.run(["serve", "--listen", "127.0.0.1:0", "--backup-dir", folder, "--backup-every", "5"])
        #expect(bad.status != 0 && bad.output.contains("60 seconds or more"), "\(bad.output)")
        try? FileManager.default.removeItem(atPath: folder)
    }
}
