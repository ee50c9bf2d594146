import Foundation
import NIOSSL
public import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=…]` URL, read once and
/// checked: a wrong URL is refused at start with what is wrong, not retried forever.
///
/// `sslmode`: `disable`, `prefer` (the default, as libpq) or `require` (verified against
/// the system's trust store). `host` may be a path to a Unix socket folder (`?host=/run/…`).
public struct PostgresURL: Sendable, CustomStringConvertible {
    public var configuration: PostgresClient.Configuration
    /// The same, for one connection outside the pool (the reachability probe at start).
    public var connectionConfiguration: PostgresConnection.Configuration
    /// The URL without its password, for logs and messages.
    public var redacted: String

    public var description: String { redacted }

    public init(_ text: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme)
        else { throw PostgresURLError("'\(Self.redact(text))' is not a postgres:// URL") }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw PostgresURLError("the database URL names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw PostgresURLError("the database URL names no database (postgres://USER@HOST/DATABASE)")
        }
        let password = components.password?.removingPercentEncoding
        let tls: PostgresClient.Configuration.TLS
        let connectionTLS: PostgresConnection.Configuration.TLS
        do {
            switch query["sslmode"] ?? "prefer" {
            case "disable":
                (tls, connectionTLS) = (.disable, .disable)
            case "prefer", "allow":
                tls = .prefer(.makeClientConfiguration())
                connectionTLS = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case "require", "verify-ca", "verify-full":
                tls = .require(.makeClientConfiguration())
                connectionTLS = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case let other: throw PostgresURLError("sslmode '\(other)' is not one of disable, prefer, require")
            }
        } catch let error as PostgresURLError {
            throw error
        } catch {
            throw PostgresURLError("cannot set up TLS for the database: \(error)")
        }
        if let socket = query["host"], socket.hasPrefix("/") {
            let port = components.port ?? 5432
            let path = "\(socket)/.s.PGSQL.\(port)"
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
            connectionConfiguration = .init(
                unixSocketPath: path, username: user, password: password, database: database)
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw PostgresURLError("the database URL names no host (postgres://USER@HOST/DATABASE)")
            }
            configuration = .init(
                host: host, port: components.port ?? 5432, username: user, password: password, database: database,
                tls: tls)
            connectionConfiguration = .init(
                host: host, port: components.port ?? 5432, username: user, password: password, database: database,
                tls: connectionTLS)
        }
        connectionConfiguration.options.connectTimeout = .seconds(5)
        configuration.options.connectTimeout = .seconds(5)
        redacted = Self.redact(text)
    }

    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "postgres://…"
    }
}

public struct PostgresURLError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
