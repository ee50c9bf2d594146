import Foundation
public import Logging
public import StockroomCore
public import StockroomStore

#if canImport(Glibc)
import Glibc
#endif

/// A node's data folder: the database, the credentials file, the lock.
///
/// Layout:
/// - `stockroom.sqlite` (+ `-wal`, `-shm`): the op log and everything derived from it.
/// - `credentials.json` (mode 0600): the admin and scanner tokens made on first start,
///   keyed by role. Only their hashes are in the database.
/// - `LOCK`: held with `flock` while a daemon serves the folder, so two daemons cannot.
public struct DataDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var databasePath: String { path + "/stockroom.sqlite" }
    public var credentialsPath: String { path + "/credentials.json" }
    var lockPath: String { path + "/LOCK" }

    /// Creates the folder (mode 0700) when missing. Throws when it cannot.
    public func create() throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Opens the node's store. See ``StockroomStore/init(path:nodeID:logger:wallMillis:didCommit:)``.
    /// Sets the process's umask to 0077 and the database files' mode to 0600.
    public func openStore(
        nodeID: NodeID?, durability: StockroomStore.Durability = .full, logger: Logger,
        didCommit: @escaping @Sendable (WriteContext, Int) -> Void = { _, _ in }
    ) throws -> StockroomStore {
        try create()
        // The database, its WAL and anything else this process makes are the service
        // user's alone (0600), whatever umask started it: the package's unit sets 0077,
        // a shell or a chroot usually 0022.
        umask(0o077)
        for file in [databasePath, databasePath + "-wal", databasePath + "-shm"] { chmod(file, 0o600) }
        return try StockroomStore(
            path: databasePath, nodeID: nodeID, durability: durability, logger: logger, didCommit: didCommit)
    }

    public struct LockError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Takes the folder's lock for the life of the process (the descriptor is never closed;
    /// the kernel drops the lock when the process exits, even on SIGKILL).
    public func lock() throws {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LockError(description: "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LockError(
                description: "another stockroom is already serving \(path); stop it first or use another --data folder")
        }
    }

    /// The tokens in credentials.json, keyed by role name.
    public func readCredentials() -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: credentialsPath) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: String]
    }

    /// On first start (no credentials file), makes an admin and a scanner token and writes
    /// them to credentials.json with mode 0600. Returns the tokens it made, or nil when the
    /// file already existed. The file is written to a temporary name and renamed, so a
    /// crash leaves either no file (and the next start makes new tokens) or a whole one.
    public func ensureCredentials(store: StockroomStore) async throws -> [String: String]? {
        if FileManager.default.fileExists(atPath: credentialsPath) { return nil }
        var tokens: [String: String] = [:]
        for role in [Role.admin, Role.scanner] {
            tokens[role.rawValue] = try await store.createToken(role: role, label: "first-start \(role.rawValue)").token
        }
        let data = try JSONSerialization.data(withJSONObject: tokens, options: [.prettyPrinted, .sortedKeys])
        let temporary = credentialsPath + ".tmp"
        FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
        guard rename(temporary, credentialsPath) == 0 else {
            throw LockError(description: "cannot write \(credentialsPath): \(String(cString: strerror(errno)))")
        }
        return tokens
    }
}
