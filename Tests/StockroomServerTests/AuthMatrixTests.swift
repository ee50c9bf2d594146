import Foundation
import Hummingbird
import StockroomServer
import StockroomStore
import Testing

/// Every route of the README's "HTTP API" table × every role of its "Roles" table, plus no
/// token and a revoked token, against what those two tables promise. The README is the
/// spec here: a route or a role added to the code but not to the README fails this test.
@Suite struct AuthMatrixTests {
    struct Route: CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var permission: String
        var description: String { "\(method) \(path)" }
    }

    static var readme: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }

    /// The rows of the Markdown table that follows `heading`, as cells.
    static func table(after heading: String, in text: String) -> [[String]] {
        guard let start = text.range(of: heading) else { return [] }
        var rows: [[String]] = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("|") {
                rows.append(
                    trimmed.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
            } else if !rows.isEmpty {
                break
            }
        }
        return rows.filter { !($0.first ?? "").hasPrefix("---") }
    }

    /// `GET /v1/stock/{sku-or-barcode}[?location=]` → GET /v1/stock/{sku-or-barcode}: the
    /// routes as the README writes them, query strings dropped.
    static func routeTemplates(from text: String) -> [Route] {
        table(after: "## HTTP API", in: text).dropFirst().flatMap { row -> [Route] in
            let permission = row[1]
            let specs = row[0].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter {
                $0.offset % 2 == 1
            }.map(\.element)
            return specs.compactMap { spec in
                let parts = spec.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let method = HTTPRequest.Method(String(parts[0])) else { return nil }
                var path = String(parts[1])
                if let bracket = path.firstIndex(where: { $0 == "[" || $0 == "?" }) { path = String(path[..<bracket]) }
                return Route(method: method, path: path, permission: permission)
            }
        }
    }

    /// The README's routes with every path parameter filled in: GET /v1/stock/A-1.
    static func routes(from text: String) -> [Route] {
        routeTemplates(from: text).map { route in
            var route = route
            route.path = route.path.replacingOccurrences(of: #"\{[^}]+\}"#, with: "A-1", options: .regularExpression)
            return route
        }
    }

    /// permission → role → allowed, from the Roles table ("yes…" allows).
    static func grants(from text: String) -> [String: [String: Bool]] {
        let rows = table(after: "### Roles", in: text)
        guard let header = rows.first else { return [:] }
        var grants: [String: [String: Bool]] = [:]
        for row in rows.dropFirst() {
            let permission = String(row[0].prefix { $0 != " " })
            for (index, role) in header.enumerated().dropFirst() {
                grants[permission, default: [:]][role] = row[index].hasPrefix("yes")
            }
        }
        return grants
    }

    @Test func theREADMETablesCoverEveryRoleAndPermission() {
        let routes = Self.routes(from: Self.readme)
        let grants = Self.grants(from: Self.readme)
        #expect(routes.count >= 19, "the README's HTTP API table was not found or lost rows")
        #expect(Set(grants.keys) == Set(Permission.allCases.map(\.rawValue)))
        for permission in grants.values { #expect(Set(permission.keys) == Set(Role.allCases.map(\.rawValue))) }
        for route in routes where route.permission != "none" && route.permission != "hmac" {
            #expect(grants[route.permission] != nil, "\(route) needs '\(route.permission)', not in the Roles table")
        }
    }

    @Test func everyRouteAndRoleGetsWhatTheREADMESays() async throws {
        let node = try await TestNode.make()
        let (revoked, info) = try await node.store.createToken(role: .admin, label: "to revoke")
        try await node.store.revokeToken(id: info.id)
        let routes = Self.routes(from: Self.readme)
        let grants = Self.grants(from: Self.readme)
        try await node.test { client in
            for route in routes {
                // Bodies that every allowed role gets refused as invalid, so the matrix
                // changes nothing (a DELETE names an item that does not exist).
                let path =
                    route.method == .delete ? route.path.replacingOccurrences(of: "A-1", with: "NO-SUCH") : route.path
                let body = route.method == .get ? nil : "{}"
                if route.permission == "hmac" {
                    // Signed by its sender, not by a token: a token neither opens nor shuts it
                    // (this node has no Shopify secret, so every caller hears not_configured).
                    for role in [Role?.none] + Role.allCases.map(Optional.some) {
                        let reply = try await client.send(route.method, path, as: role, body: body)
                        #expect(
                            reply.status == .notFound && reply.errorCode == "not_configured",
                            "\(route) as \(role as Any)")
                    }
                    continue
                }
                for role in Role.allCases {
                    let reply = try await client.send(route.method, path, as: role, body: body)
                    let allowed = route.permission == "none" || grants[route.permission]?[role.rawValue] == true
                    if allowed {
                        #expect(
                            reply.status != .unauthorized && reply.status != .forbidden,
                            "\(route) as \(role): the README allows it, got \(reply.status)")
                    } else {
                        #expect(
                            reply.status == .forbidden && reply.errorCode == "forbidden",
                            "\(route) as \(role): the README forbids it, got \(reply.status)")
                    }
                    #expect(reply.status.code < 500, "\(route) as \(role): \(reply.status) \(reply.text)")
                }
                for (name, token) in [("no token", String?.none), ("a revoked token", revoked)] {
                    let reply = try await client.send(route.method, path, as: nil, token: token, body: body)
                    if route.permission == "none" {
                        #expect(reply.status == .ok, "\(route) with \(name)")
                    } else {
                        #expect(
                            reply.status == .unauthorized && reply.errorCode == "unauthorized",
                            "\(route) with \(name): got \(reply.status)")
                    }
                }
            }
        }
    }
}
