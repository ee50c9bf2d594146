import Foundation
public import Hummingbird
public import StockroomStore
import Synchronization

/// Authenticates `Authorization: Bearer <token>` and checks the route's permission.
///
/// Verified tokens are cached for ``cacheSeconds`` so the scan path does not read the
/// tokens table on every request; a revocation therefore takes effect within that time.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = StockroomRequestContext
    let permission: Permission
    let authenticator: TokenAuthenticator

    public init(_ permission: Permission, authenticator: TokenAuthenticator) {
        self.permission = permission
        self.authenticator = authenticator
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized(
                "send 'Authorization: Bearer <token>'; tokens are in the data folder's credentials.json")
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Self.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        guard let principal = try await authenticator.principal(for: String(header.dropFirst(7))) else {
            throw Self.unauthorized("the token is unknown or revoked")
        }
        guard permission.isGranted(to: principal.role) else {
            throw APIError(
                .forbidden, "forbidden",
                "a \(principal.role.rawValue) token may not \(permission.rawValue); use a token with that right")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "unauthorized", message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}

/// Token verification with a short-lived cache in front of the store.
public final class TokenAuthenticator: Sendable {
    public static let cacheSeconds: Double = 2
    private let store: StockroomStore
    private let cache = Mutex<[String: (principal: Principal?, expires: Double)]>([:])
    private static let maxEntries = 10_000

    public init(store: StockroomStore) { self.store = store }

    public func principal(for token: String) async throws -> Principal? {
        let now = Date().timeIntervalSince1970
        if let hit = cache.withLock({ $0[token] }), hit.expires > now { return hit.principal }
        let principal = try await store.authenticate(token: token)
        cache.withLock { cache in
            if cache.count >= Self.maxEntries { cache.removeAll() }
            cache[token] = (principal, now + Self.cacheSeconds)
        }
        if let principal { noteUse(principal.tokenID, at: Int64(now)) }
        return principal
    }

    /// Last use is written at most once a minute per token, off the request (a cache miss
    /// happens at most every ``cacheSeconds`` per token, so the scan path never waits on it).
    private let lastWritten = Mutex<[String: Int64]>([:])
    private func noteUse(_ id: String, at now: Int64) {
        let due = lastWritten.withLock { written -> Bool in
            guard now - (written[id] ?? 0) >= 60 else { return false }
            if written.count >= Self.maxEntries { written.removeAll() }
            written[id] = now
            return true
        }
        guard due else { return }
        let store = store
        Task.detached(priority: .background) { try? await store.recordTokenUse([id: now]) }
    }
}
