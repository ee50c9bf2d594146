import Crypto
public import Foundation
import StockroomStore

#if canImport(Glibc)
import Glibc
#endif

/// Backups of a SQLite node (issue #16): `stockroom backup`, the daemon's schedule, and
/// `stockroom restore`.
///
/// A backup is a folder `stockroom-YYYYMMDDTHHMMSSZ` under the backup folder, holding
/// `stockroom.sqlite` (a consistent copy: ``DatabaseCopy``), `credentials.json` when the
/// node has one (mode 0600), and `MANIFEST.json` (node, time, ops, schema, size and the
/// file's SHA-256). It is written under a `.partial` name and renamed when complete and
/// verified, so a crash mid-backup leaves no folder that looks whole.
public enum NodeBackup {
    public struct Manifest: Codable, Sendable {
        public var node: String?
        public var createdAt: String
        public var ops: Int64
        public var lastLSN: Int64
        public var schema: String?
        public var bytes: Int64
        public var sha256: String
        public var stockroomVersion: String

        enum CodingKeys: String, CodingKey {
            case node, ops, schema, bytes, sha256
            case createdAt = "created_at", lastLSN = "last_lsn", stockroomVersion = "stockroom_version"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public static let prefix = "stockroom-"

    /// Takes a backup of `data` into a new folder under `directory` (made if missing),
    /// verifies it (SQLite's `quick_check` on the copy), then deletes the oldest backups
    /// beyond `keep`. Safe while the daemon serves `data`. Returns the new folder and its
    /// manifest. Throws ``Failure`` with what to do; a failed backup leaves nothing behind.
    public static func take(
        data: DataDirectory, into directory: String, keep: Int, now: Date = Date()
    ) throws -> (folder: String, manifest: Manifest, removed: [String]) {
        guard FileManager.default.fileExists(atPath: data.databasePath) else {
            throw Failure("no node in \(data.path): there is no stockroom.sqlite to back up")
        }
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let name = prefix + stamp(now)
        let final = directory + "/" + name
        let partial = final + ".partial"
        guard !FileManager.default.fileExists(atPath: final) else {
            throw Failure("\(final) exists already: backups are at most one a second")
        }
        try? FileManager.default.removeItem(atPath: partial)
        try FileManager.default.createDirectory(
            atPath: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            let copy = partial + "/stockroom.sqlite"
            let summary = try DatabaseCopy.copy(from: data.databasePath, to: copy)
            // Token and password hashes are in it: readable by the node's user only.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy)
            let checked = try DatabaseCopy.check(copy, quick: true)
            guard checked.problems.isEmpty else {
                throw Failure(
                    "the copy failed SQLite's integrity check (\(checked.problems.prefix(3).joined(separator: "; "))): the node's own file may be damaged; run 'stockroom check'"
                )
            }
            if FileManager.default.fileExists(atPath: data.credentialsPath) {
                try FileManager.default.copyItem(atPath: data.credentialsPath, toPath: partial + "/credentials.json")
                try FileManager.default.setAttributes(
                    [.posixPermissions: 0o600], ofItemAtPath: partial + "/credentials.json")
            }
            let manifest = Manifest(
                node: summary.node, createdAt: ISO8601DateFormatter().string(from: now), ops: summary.ops,
                lastLSN: summary.lastLSN, schema: summary.schema, bytes: try size(copy), sha256: try sha256(copy),
                stockroomVersion: StockroomVersion.current)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: partial + "/MANIFEST.json"))
            try syncPath(copy)
            try syncPath(partial)
            guard rename(partial, final) == 0 else {
                throw Failure("cannot rename \(partial) to \(final): \(String(cString: strerror(errno)))")
            }
            try syncPath(directory)
            return (final, manifest, try prune(directory, keep: keep))
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// The backups in `directory`, oldest first (their names sort by time).
    public static func list(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix(prefix) && !$0.hasSuffix(".partial") }.sorted()
    }

    /// Deletes the oldest backups beyond `keep` (at least 1 is kept). Returns their names.
    public static func prune(_ directory: String, keep: Int) throws -> [String] {
        let backups = list(directory)
        let removed = Array(backups.dropLast(max(keep, 1)))
        for name in removed { try FileManager.default.removeItem(atPath: directory + "/" + name) }
        return removed
    }

    /// Reads a backup's manifest and checks that its database is the one the manifest
    /// names (size and SHA-256) and passes SQLite's integrity check. Throws ``Failure``.
    public static func verify(_ folder: String) throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: folder + "/MANIFEST.json"),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
        else {
            throw Failure("\(folder) is not a stockroom backup: it has no readable MANIFEST.json")
        }
        let file = folder + "/stockroom.sqlite"
        guard FileManager.default.fileExists(atPath: file) else { throw Failure("\(folder) has no stockroom.sqlite") }
        let (bytes, digest) = (try size(file), try sha256(file))
        guard bytes == manifest.bytes, digest == manifest.sha256 else {
            throw Failure(
                "\(file) is not the file its manifest names (\(bytes) bytes, SHA-256 \(digest.prefix(12))…; the manifest says \(manifest.bytes) bytes, \(manifest.sha256.prefix(12))…): the backup was damaged or changed; use another"
            )
        }
        let checked = try DatabaseCopy.check(file)
        guard checked.problems.isEmpty else {
            throw Failure(
                "\(file) fails SQLite's integrity check: \(checked.problems.prefix(3).joined(separator: "; "))")
        }
        return manifest
    }

    /// Restores the backup in `folder` into the data folder `data`. Refuses a folder a
    /// daemon is serving (its lock is held), and one that holds a database unless
    /// `replace` (the old file is then kept beside it as `stockroom.sqlite.before-restore-…`).
    /// Verifies the backup first; the database is written under a temporary name and
    /// renamed, so a crash leaves the old state or the restored one. Holds the folder's
    /// lock until the process exits, so no daemon starts on a half-restored folder.
    public static func restore(
        from folder: String, into data: DataDirectory, replace: Bool, now: Date = Date()
    )
        throws -> Manifest
    {
        let manifest = try verify(folder)
        try data.create()
        do {
            try data.lock()
        } catch {
            throw Failure(
                "\(data.path) is in use: a stockroom is serving it; stop it (systemctl stop stockroom) and restore again"
            )
        }
        let target = data.databasePath
        if FileManager.default.fileExists(atPath: target) {
            guard replace else {
                throw Failure(
                    "\(data.path) already holds a node's database; pass --replace to set it aside and restore over it")
            }
            let aside = target + ".before-restore-" + stamp(now)
            guard rename(target, aside) == 0 else {
                throw Failure("cannot move \(target) aside: \(String(cString: strerror(errno)))")
            }
        }
        for suffix in ["-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: target + suffix) }
        let temporary = target + ".restoring"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: folder + "/stockroom.sqlite", toPath: temporary)
        try syncPath(temporary)
        guard rename(temporary, target) == 0 else {
            throw Failure("cannot rename \(temporary) to \(target): \(String(cString: strerror(errno)))")
        }
        if FileManager.default.fileExists(atPath: folder + "/credentials.json") {
            // The tokens in the file are the restored database's: a file left by the
            // replaced database would name tokens that no longer exist. Kept aside too.
            if FileManager.default.fileExists(atPath: data.credentialsPath) {
                let aside = data.credentialsPath + ".before-restore-" + stamp(now)
                guard rename(data.credentialsPath, aside) == 0 else {
                    throw Failure(
                        "cannot move \(data.credentialsPath) aside: \(String(cString: strerror(errno)))")
                }
            }
            try FileManager.default.copyItem(atPath: folder + "/credentials.json", toPath: data.credentialsPath)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: data.credentialsPath)
        }
        try syncPath(data.path)
        return manifest
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    static func size(_ path: String) throws -> Int64 {
        ((try FileManager.default.attributesOfItem(atPath: path))[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// The file's SHA-256, read in 1 MiB pieces (bounded memory for any size).
    static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// fsync of a file or a folder (a rename is durable once its folder is synced).
    static func syncPath(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }
}
