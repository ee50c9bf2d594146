import Foundation
import Hummingbird
import StockroomCore
import StockroomServer
import Testing

/// sync-protocol/openapi.json is kept in sync with the code and the README: the same
/// routes as the router registers and the README's table lists, each with the README's
/// permission, every `$ref` resolving, and every error code of the README's Errors table
/// documented. What the answers look like is checked against a live node by schemathesis
/// (Tests/API/schemathesis.sh, in `make test`).
@Suite struct OpenAPIDocumentTests {
    struct Operation: Hashable, CustomStringConvertible {
        var method: String
        /// The path with every parameter written `{}`: `/v1/stock/{}`.
        var path: String
        var description: String { "\(method) \(path)" }

        init(_ method: String, _ path: String) {
            self.method = method.uppercased()
            self.path = path.replacingOccurrences(
                of: #"\{[^}]*\}|:[A-Za-z_]+"#, with: "{}", options: .regularExpression)
        }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("sync-protocol/openapi.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every operation of the document with its `x-permission`.
    static func operations(_ document: [String: Any]) -> [Operation: String] {
        let methods: Set = ["get", "put", "post", "patch", "delete", "head", "options"]
        var operations: [Operation: String] = [:]
        for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
            for (method, operation) in item where methods.contains(method) {
                operations[Operation(method, path)] =
                    (operation as? [String: Any])?["x-permission"] as? String ?? "(no x-permission)"
            }
        }
        return operations
    }

    @Test func theDocumentHasExactlyTheRoutesOfTheRouterAndTheREADME() async throws {
        let documented = Self.operations(try Self.document())
        let readme = Dictionary(
            AuthMatrixTests.routeTemplates(from: AuthMatrixTests.readme).map {
                (Operation($0.method.rawValue, $0.path), $0.permission)
            }, uniquingKeysWith: { first, _ in first })
        let node = try await TestNode.make()
        let router = buildRouter(store: node.store, metrics: NodeMetrics(), role: "edge")
        let registered = Set(router.routes.map { Operation($0.method.rawValue, "\($0.path)") })

        #expect(documented.count >= 20, "the document lost operations")
        #expect(
            Set(documented.keys) == registered,
            """
            registered but not documented: \(registered.subtracting(documented.keys).sorted { "\($0)" < "\($1)" }); \
            documented but not registered: \(Set(documented.keys).subtracting(registered).sorted { "\($0)" < "\($1)" })
            """)
        #expect(
            Set(readme.keys) == registered,
            """
            registered but not in the README table: \(registered.subtracting(readme.keys).sorted { "\($0)" < "\($1)" }); \
            in the README but not registered: \(Set(readme.keys).subtracting(registered).sorted { "\($0)" < "\($1)" })
            """)
        for (operation, permission) in documented {
            #expect(
                readme[operation] == permission,
                "\(operation): x-permission \(permission), README \(readme[operation] ?? "-")")
        }
    }

    /// Every op kind the audit trail can answer or filter by is in the document: a new kind
    /// left out made schemathesis find a history answer the document did not allow.
    @Test func theDocumentNamesEveryOpKind() throws {
        let document = try Self.document()
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let op = (schemas?["Op"] as? [String: Any])?["properties"] as? [String: Any]
        let kinds = (op?["kind"] as? [String: Any])?["enum"] as? [String]
        let names = OpKind.allCases.map(\.name)
        #expect(kinds == names)
        let paths = document["paths"] as? [String: [String: Any]]
        let parameters = (paths?["/v1/ops"]?["get"] as? [String: Any])?["parameters"] as? [[String: Any]] ?? []
        let filter = parameters.first { $0["name"] as? String == "kind" }
        #expect((filter?["schema"] as? [String: Any])?["enum"] as? [String] == names)
    }

    @Test func everyReferenceResolvesAndEveryErrorCodeIsDocumented() throws {
        let document = try Self.document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
        var references: Set<String> = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let target = object["$ref"] as? String { references.insert(target) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        #expect(references.count >= 20)
        for reference in references {
            var node: Any? = document
            for key in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(key)] }
            #expect(node != nil, "\(reference) does not resolve")
        }
        let errorCodes = AuthMatrixTests.table(after: "### Errors", in: AuthMatrixTests.readme).dropFirst().flatMap {
            row in
            row[1].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
                .map { String($0.element) }
        }
        #expect(errorCodes.count >= 15, "the README's Errors table was not found")
        let missing = errorCodes.filter { !text.contains("`\($0)`") }
        #expect(missing.isEmpty, "error codes of the README's Errors table that the document never names: \(missing)")
    }
}
