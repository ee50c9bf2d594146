import Foundation
import NIOSSL
public import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=…]` URL, read once and
/// checked: a wrong URL is refused at start with what is wrong, not retried forever.
///
/// `sslmode`: `disable`, `prefer` (the default, as libpq) or `require` (verified against
/// the system's trust store). `host` may be a path to a Unix socket folder (`?host=/run/…`).
/// Several hosts, as libpq takes them (`postgres://u@db1:5432,db2:5432/stockroom`), are the
/// members of a high-availability cluster: see ``PostgresHosts``.
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// One pool configuration per host, in the URL's order.
    public var configurations: [PostgresClient.Configuration] = []
    /// The same, for one connection outside the pool (the reachability probe at start).
    public var connectionConfigurations: [PostgresConnection.Configuration] = []
    /// `host:port` of each, for messages.
    public var hostNames: [String] = []
    /// The URL without its password, for logs and messages.
    public var redacted: String

    /// The first host's pool configuration.
    public var configuration: PostgresClient.Configuration { configurations[0] }

    public var description: String { redacted }

    public init(_ text: String) throws(PostgresURLError) {
        // URLComponents takes one host: the others are cut out here and put back below.
        var single = text
        var extraHosts: [(String, Int)] = []
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
            let hostList = authority[hostStart...].split(separator: ",", omittingEmptySubsequences: false)
            if hostList.count > 1 {
                for entry in hostList.dropFirst() {
                    let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
                    guard !parts[0].isEmpty, parts.count <= 2, let port = parts.count == 2 ? Int(parts[1]) : 5432
                    else { throw PostgresURLError("the database URL's host list has a bad entry '\(entry)'") }
                    extraHosts.append((String(parts[0]), port))
                }
                single = String(text[..<hostStart]) + String(hostList[0]) + String(rest[authorityEnd...])
            }
        }
        guard let components = URLComponents(string: single), ["postgres", "postgresql"].contains(components.scheme)
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
            configurations = [.init(unixSocketPath: path, username: user, password: password, database: database)]
            connectionConfigurations = [
                .init(unixSocketPath: path, username: user, password: password, database: database)
            ]
            hostNames = [path]
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw PostgresURLError("the database URL names no host (postgres://USER@HOST/DATABASE)")
            }
            for (host, port) in [(host, components.port ?? 5432)] + extraHosts {
                configurations.append(
                    .init(host: host, port: port, username: user, password: password, database: database, tls: tls))
                connectionConfigurations.append(
                    .init(
                        host: host, port: port, username: user, password: password, database: database,
                        tls: connectionTLS))
                hostNames.append("\(host):\(port)")
            }
        }
        for index in configurations.indices {
            configurations[index].options.connectTimeout = .seconds(5)
            connectionConfigurations[index].options.connectTimeout = .seconds(5)
        }
        redacted = Self.redact(text)
    }

    static func redact(_ text: String) -> String {
        // user:password@ → user:***@, whatever follows (a host list URLComponents cannot read).
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}

public struct PostgresURLError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
