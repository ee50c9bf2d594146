import Crypto
import Foundation
public import Hummingbird
import HummingbirdAuth
import HummingbirdBcrypt
import Logging
import NIOPosix
import ServiceLifecycle
import StockroomPostgres
import StockroomStore
import Synchronization

/// What a signed-in browser carries, stored server-side under a random id that is the
/// only thing in the cookie (hummingbird-auth's ``SessionStorage``).
struct WebSession: Codable, Sendable {
    var user: String
    /// Sent back in every form (`_csrf`) and htmx request (`X-CSRF-Token`).
    var csrf: String
    /// Seconds since 1970. A password change after this ends the session.
    var startedAt: Int64
}

/// Where the dashboard's sessions are kept: the node's SQLite file, or on a hub over
/// PostgreSQL the shared database, so a browser can be served by any hub process.
protocol SessionBackend: Sendable {
    /// The value and its expiry (seconds since 1970), or nil when absent or expired.
    func sessionValue(key: String, now: Int64) async throws -> (value: Data, expiresAt: Int64?)?
    /// Stores a value; `expiresAt` nil keeps the stored expiry. With `mustBeNew`, false
    /// when the key exists (nothing changed). Committed when it returns.
    func storeSession(key: String, value: Data, expiresAt: Int64?, mustBeNew: Bool, now: Int64) async throws -> Bool
    func removeSession(key: String) async throws
}

extension StockroomStore: SessionBackend {
    func sessionValue(key: String, now: Int64) async throws -> (value: Data, expiresAt: Int64?)? {
        try await sessionValue(key: key)
    }

    func storeSession(key: String, value: Data, expiresAt: Int64?, mustBeNew: Bool, now: Int64) async throws -> Bool {
        do {
            try await setSessionValue(key: key, value: value, expiresAt: expiresAt, mustBeNew: mustBeNew)
            return true
        } catch StoreError.invalid {
            return false
        }
    }
}

extension PostgresHubLog: SessionBackend {}

/// hummingbird-auth's session storage on a ``SessionBackend``, so sessions survive a
/// restart and a crash (each write is committed before the answer goes out).
struct SessionDriver: PersistDriver {
    let backend: any SessionBackend

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let stored = try await backend.storeSession(
            key: key, value: JSONEncoder().encode(value), expiresAt: Self.deadline(expires), mustBeNew: true,
            now: Self.now)
        if !stored { throw PersistError.duplicate }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        _ = try await backend.storeSession(
            key: key, value: JSONEncoder().encode(value), expiresAt: Self.deadline(expires), mustBeNew: false,
            now: Self.now)
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        guard let stored = try await backend.sessionValue(key: key, now: Self.now) else { return nil }
        do { return try JSONDecoder().decode(Object.self, from: stored.value) } catch {
            throw PersistError.invalidConversion
        }
    }

    func remove(key: String) async throws { try await backend.removeSession(key: key) }

    func run() async throws { try? await gracefulShutdown() }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    static func deadline(_ expires: Duration?) -> Int64? { expires.map { now + $0.components.seconds } }
}

/// Slows password guessing: after ``freeAttempts`` failures for one account or from one
/// address within ``window``, each further attempt waits twice as long as the last (from
/// ``firstDelay`` up to ``maximumDelay``). Kept in memory: a restart forgets it, which
/// costs an attacker a restart of the daemon they cannot cause.
///
/// The first wait is 30 s, not a token 2 s: bcrypt already costs a guess 0.25 s, so 2 s
/// barely slowed a guesser, and on a loaded machine a 2 s block could expire before the
/// next request was even read (the bug a CI run caught).
final class SignInThrottle: Sendable {
    static let freeAttempts = 5
    static let window: Double = 15 * 60
    static let firstDelay: Double = 30
    static let maximumDelay: Double = 15 * 60
    private struct Record { var failures: [Double] = []; var blockedUntil: Double = 0 }
    private let records = Mutex<[String: Record]>([:])

    /// Seconds to wait before another attempt for any of `keys`, or 0.
    func delay(for keys: [String], now: Double = Date().timeIntervalSince1970) -> Double {
        records.withLock { records in keys.map { max(0, (records[$0]?.blockedUntil ?? 0) - now) }.max() ?? 0 }
    }

    func recordFailure(for keys: [String], now: Double = Date().timeIntervalSince1970) {
        records.withLock { records in
            if records.count > 100_000 { records.removeAll() }
            for key in keys {
                var record = records[key] ?? Record()
                record.failures = record.failures.filter { now - $0 < Self.window } + [now]
                let excess = record.failures.count - Self.freeAttempts
                if excess >= 0 {
                    record.blockedUntil =
                        now + min(Self.maximumDelay, pow(2, Double(min(excess, 20))) * Self.firstDelay)
                }
                records[key] = record
            }
        }
    }

    func recordSuccess(for keys: [String]) {
        records.withLock { records in for key in keys { records[key] = nil } }
    }
}

/// Users as the dashboard sees them, cached for two seconds like tokens, so a disabled
/// user or a changed password ends open sessions within that time.
final class UserDirectory: Sendable {
    let store: StockroomStore
    private let cache = Mutex<[String: (user: UserInfo?, expires: Double)]>([:])
    init(store: StockroomStore) { self.store = store }

    func user(_ name: String) async throws -> UserInfo? {
        let now = Date().timeIntervalSince1970
        if let hit = cache.withLock({ $0[name] }), hit.expires > now { return hit.user }
        let user = try await store.user(named: name)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[name] = (user, now + 2)
        }
        return user
    }

    func forget(_ name: String) { cache.withLock { $0[name] = nil } }
}

/// bcrypt on NIO's blocking pool: a hash takes ~0.25 s at cost 12 and must not hold one of
/// the two cooperative threads of a store's small machine.
enum PasswordHashing {
    static let cost: UInt8 = 12

    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash to verify against for unknown user names, so a wrong name takes as long as
    /// a wrong password (no user enumeration by timing).
    static let decoy = Bcrypt.hash("stockroom-decoy-password", cost: cost)
}

extension Principal {
    /// A person signed in to the dashboard: their ops carry the actor `user:<name>`.
    static func user(_ user: UserInfo) -> Principal {
        Principal(tokenID: "user:\(user.name)", role: user.role, label: user.displayName, node: nil)
    }
}

enum CSRF {
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Constant-time comparison of two tokens.
    static func matches(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
