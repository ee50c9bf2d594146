import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StockroomCore
import StockroomServer
import StockroomStore
import Testing

/// A real node (on-disk SQLite, the real router and middleware) driven through
/// HummingbirdTesting, with one token per role.
struct TestNode {
    let store: StockroomStore
    let tokens: [Role: String]
    let directory: String
    var role = "edge"

    static func make(role: String = "edge") async throws -> TestNode {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stockroom-http-\(UUID().uuidString)"
        ).path
        let store = try DataDirectory(path: directory).openStore(
            nodeID: NodeID("store-1"), logger: Logger(label: "test"))
        var tokens: [Role: String] = [:]
        for role in Role.allCases {
            tokens[role] = try await store.createToken(
                role: role, node: role == .peer ? "store-9" : nil, label: role.rawValue
            ).token
        }
        _ = try await store.createItem(
            sku: "A-1",
            fields: FieldAssignments([
                .name: .text("Apple juice"), .category: .text("Drinks"), .barcodes: .texts(["4006381333931"]),
                .threshold: .int(5),
            ]),
            actor: "test")
        _ = try await store.createItem(
            sku: "B-2", fields: FieldAssignments([.name: .text("Rye bread"), .category: .text("Bakery")]), actor: "test"
        )
        return TestNode(store: store, tokens: tokens, directory: directory, role: role)
    }

    /// Runs `body` against the app in-process (no sockets).
    func test(
        shopify: ShopifyConfiguration? = nil, over setup: TestingSetup = .router,
        _ body: @escaping @Sendable (Client) async throws -> Void
    ) async throws {
        var configuration = NodeConfiguration()
        configuration.shopify = shopify
        configuration.port = 0
        configuration.role = role == "hub" ? .hub : .edge
        let app = try buildApplication(
            configuration: configuration, store: store, metrics: NodeMetrics(), logger: Logger(label: "test"))
        let tokens = self.tokens
        try await app.test(setup) { client in try await body(Client(client: client, tokens: tokens)) }
    }

    struct Client: Sendable {
        let client: any TestClientProtocol
        let tokens: [Role: String]

        struct Reply: Sendable {
            var status: HTTPResponse.Status
            var headers: HTTPFields
            var text: String
            var bytes: [UInt8]
            var json: [String: Any] {
                (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
            }
            var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
            var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
        }

        func send(
            _ method: HTTPRequest.Method, _ uri: String, as role: Role? = .admin, token: String? = nil,
            body: String? = nil, bytes: [UInt8]? = nil, headers extra: HTTPFields = [:]
        ) async throws -> Reply {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let token = token ?? role.flatMap({ tokens[$0] }) { headers[.authorization] = "Bearer \(token)" }
            if extra[.contentType] != nil { headers[.contentType] = nil }
            headers.append(contentsOf: extra)
            let payload = bytes.map { ByteBuffer(bytes: $0) } ?? body.map { ByteBuffer(string: $0) }
            return try await client.execute(uri: uri, method: method, headers: headers, body: payload) { response in
                Reply(
                    status: response.status, headers: response.headers, text: String(buffer: response.body),
                    bytes: Array(response.body.readableBytesView))
            }
        }
    }
}
