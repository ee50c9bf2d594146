import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdAuth
import Logging
import Mustache
import StockroomCore
public import StockroomNotify
public import StockroomPostgres
public import StockroomStore

/// The web dashboard: server-rendered HTML (swift-mustache) over the same store methods as
/// `/v1`, with htmx for partial updates. Signed in with user accounts and a session cookie;
/// every unsafe request carries a CSRF token and a same-origin `Origin`.
///
/// Pages live at the root (`/`, `/inventory`, `/items/{sku}`, …); static files under
/// `/static`. Nothing here is on the scan path: `/v1` routes never pass these middlewares.
/// The overview's tiles that read every cell of a location.
struct TileFigures: Sendable {
    var summary: InventorySummary
    /// Nil while the average costs are first computed.
    var stockValueCents: Int64?
    var itemsInStock: Int
}

public struct WebSite: Sendable {
    let store: StockroomStore
    let templates: MustacheLibrary
    let staticFolder: String
    let sessions: SessionStorage<WebSession>
    let throttle = SignInThrottle()
    let users: UserDirectory
    let averageCosts: AverageCosts
    /// The overview's heavier tiles (they read every stock cell of the location).
    let tileFigures = BackgroundCache<TileFigures>(maxAge: 30)
    /// The category filter's choices (a pass over every item; a minute old at most).
    let categoryCache = BackgroundCache<[String]>(maxAge: 60)
    /// The anomaly list of the last 30 days (scoring fits a forest over the history).
    let anomalyCache = BackgroundCache<AnomalyReport>(maxAge: 600)
    /// `hub` or `edge`.
    let role: String
    let dataFolder: String
    /// Session cookies get `Secure` when the node serves HTTPS.
    let secure: Bool
    /// The alert channels (the notify file), for Settings: shown without secrets, and used
    /// by "send a test message".
    let notify: NotifyConfiguration?
    /// How long a session lasts from sign-in (a shift and some).
    static let sessionLifetime: Duration = .seconds(10 * 3600)
    static let sessionCookie = "stockroom_session"
    static let signInCookie = "stockroom_signin"

    /// Loads the templates. Throws when the web folder cannot be found or a template does
    /// not parse; the node then serves `/v1` alone (the caller logs why).
    public init(
        store: StockroomStore, role: String, dataFolder: String, secure: Bool, notify: NotifyConfiguration? = nil,
        sharedSessions: PostgresHubLog? = nil
    ) throws {
        guard let root = WebAssets.root() else { throw WebAssets.Missing() }
        var library = MustacheLibrary()
        let folder = root + "/templates"
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        self.store = store
        self.templates = library
        self.staticFolder = root + "/static"
        self.sessions = SessionStorage(
            SessionDriver(backend: sharedSessions ?? store),
            configuration: .init(
                sessionCookieParameters: .init(
                    name: Self.sessionCookie, path: "/", secure: secure, sameSite: .strict),
                keyPrefix: "s."))
        self.users = UserDirectory(store: store)
        self.averageCosts = AverageCosts(store: store)
        self.role = role
        self.dataFolder = dataFolder
        self.secure = secure
        self.notify = notify
        // The average costs read the whole ledger: start on them now, not at the first page.
        _ = averageCosts.costs(location: store.homeLocation)
    }

    public func register(on router: Router<StockroomRequestContext>) {
        router.group("static")
            .add(
                middleware: FileMiddleware(
                    staticFolder, urlBasePath: "/static", cacheControl: .init([(MediaType(type: .any), [.noCache])]))
            )
            .get("**") { _, _ -> Response in throw HTTPError(.notFound) }

        let pages = { (permission: Permission) in
            router.group().add(middleware: WebErrorMiddleware(site: self)).add(
                middleware: WebAuthMiddleware(site: self, permission: permission))
        }
        registerSignIn(on: router.group().add(middleware: WebErrorMiddleware(site: self)), signedIn: pages(.read))
        registerPages(reads: pages(.read), catalogue: pages(.catalogue), documents: pages(.documents))
        registerDocuments(reads: pages(.read), writes: pages(.documents))
        registerOperations(reads: pages(.read), writes: pages(.documents), manage: pages(.manage))
        registerSettings(admin: pages(.admin))
        registerAlertSettings(admin: pages(.admin))
        registerStockRules(admin: pages(.admin))
    }

    // MARK: Rendering

    /// A full page with the common layout fields under `page`.
    func page(
        _ template: String, _ fields: [String: Any], request: Request, context: StockroomRequestContext,
        nav: String, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var fields = fields
        fields["page"] = try await layoutFields(request: request, context: context, nav: nav)
        return html(templates.render(Self.compact(fields), withTemplate: template) ?? "", status: status)
    }

    /// Drops empty strings, so `{{#field}}…{{/field}}` is false for them as a reader of
    /// the template expects (swift-mustache treats any string, even "", as true).
    static func compact(_ value: Any) -> Any {
        switch value {
        case let dictionary as [String: Any]:
            var result: [String: Any] = [:]
            for (key, value) in dictionary {
                if let text = value as? String, text.isEmpty { continue }
                result[key] = compact(value)
            }
            return result
        case let array as [[String: Any]]: return array.map { compact($0) }
        default: return value
        }
    }

    func layoutFields(request: Request, context: StockroomRequestContext, nav: String) async throws -> [String: Any] {
        let principal = context.principal
        var fields: [String: Any] = [
            "node": store.nodeID.rawValue, "roleLabel": role == "hub" ? "hub" : "store",
            "version": StockroomVersion.current, "csrf": context.webCSRF ?? "", "nav": [nav: true],
            "sync": try await syncBadge(),
        ]
        if let scope = try await scopeFields(scope(of: request), request: request) { fields["scope"] = scope }
        if let principal {
            fields["user"] = [
                "name": principal.tokenID.replacingOccurrences(of: "user:", with: ""),
                "displayName": principal.label, "role": principal.role.rawValue,
            ]
        }
        if let flash = request.uri.queryParameters["done"] {
            fields["flash"] = ["kind": "success", "message": String(flash)]
        }
        return fields
    }

    func html(_ body: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A strict policy: no inline script or style, no eval, nothing from another origin.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        HTTPField.Name("X-Frame-Options")!: "DENY",
    ]

    func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// An error as a page: what happened and what to do next.
    func errorPage(_ error: APIError, request: Request) -> Response {
        let (heading, advice, action): (String, String, (String, String)) =
            switch error.status.code {
            case 401: ("Please sign in", "Your session may have expired.", ("/signin", "Sign in"))
            case 403:
                (
                    "Not allowed", "Ask an admin of this node if you need this; your role does not include it.",
                    ("/", "Back to the dashboard")
                )
            case 404:
                ("Not found", "Check the address, or search the inventory.", ("/inventory", "Go to inventory"))
            case 429: ("Slow down", "Wait a little, then try again.", ("/signin", "Back to sign in"))
            case 500...599:
                (
                    "Something went wrong", "The node logged the details. Try again; if it persists, tell IT the time.",
                    ("/", "Back to the dashboard")
                )
            default: ("That did not work", "Go back and check what you entered.", ("/", "Back to the dashboard"))
            }
        let body =
            templates.render(
                [
                    "status": error.status.code, "heading": heading, "message": error.message, "advice": advice,
                    "action": ["href": action.0, "label": action.1],
                ], withTemplate: "error") ?? error.message
        return html(body, status: error.status)
    }

    /// For a browser's request that may not go on without a session: a redirect to sign-in
    /// that comes back here, or for htmx a 401 with `HX-Redirect`, so htmx loads the sign-in
    /// page whole instead of swapping it into part of the current one.
    func signInRedirect(_ request: Request) -> Response {
        let isHTMX = request.headers[HTTPField.Name("HX-Request")!] == "true"
        var back = request.uri.path
        if isHTMX, let current = request.headers[HTTPField.Name("HX-Current-URL")!],
            let url = URL(string: current)
        {
            back = url.path + (url.query.map { "?" + $0 } ?? "")
        } else if let query = request.uri.query, request.method == .get {
            back += "?" + query
        }
        let target = "/signin?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
        if isHTMX {
            var headers = Self.securityHeaders
            headers[HTTPField.Name("HX-Redirect")!] = target
            return Response(status: .unauthorized, headers: headers)
        }
        return redirect(target)
    }

    /// The own origin a browser sends in `Origin` on a same-origin POST.
    func ownOrigin(_ request: Request) -> String? {
        guard let host = request.head.authority else { return nil }
        return (secure ? "https://" : "http://") + host
    }

    /// Refuses a cross-origin unsafe request: `Origin` (or, when a browser sends none,
    /// `Referer`) must name this node.
    func checkOrigin(_ request: Request) throws {
        guard let own = ownOrigin(request) else { throw Self.crossOrigin }
        if let origin = request.headers[.origin] {
            guard origin == own else { throw Self.crossOrigin }
        } else if let referer = request.headers[.referer] {
            guard referer == own || referer.hasPrefix(own + "/") else { throw Self.crossOrigin }
        } else {
            throw Self.crossOrigin
        }
    }

    static let crossOrigin = APIError(
        .forbidden, "cross_origin",
        "this request did not come from a page of this node (its Origin does not match), so it was refused")
    static let badCSRF = APIError(
        .forbidden, "csrf",
        "the form was missing its security token or it was out of date; reload the page and try again")
}

/// Where the templates and static files are. A packaged node has them beside the binary
/// (`stockroom_StockroomServer.resources`, as SwiftPM builds them) or in
/// /usr/share/stockroom/web; `STOCKROOM_WEB_ROOT` overrides both.
enum WebAssets {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "the web dashboard's files were not found (set STOCKROOM_WEB_ROOT to the folder holding templates/ and static/)"
        }
    }

    static func root() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["STOCKROOM_WEB_ROOT"] { candidates.append(env) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(executable.appendingPathComponent("stockroom_StockroomServer.resources").path)
        candidates.append("/usr/share/stockroom/web")
        // Tests and `swift run` from the source tree.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().path)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/templates/layout.mustache") }
    }
}

/// Turns any error of a page into an error page (401s into a trip to sign-in).
struct WebErrorMiddleware: RouterMiddleware {
    typealias Context = StockroomRequestContext
    let site: WebSite

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let apiError = ErrorMiddleware<Context>.apiError(for: error, context: context)
            if apiError.status == .unauthorized { return site.signInRedirect(request) }
            if apiError.status.code >= 500 {
                context.logger.error("web page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return site.errorPage(apiError, request: request)
        }
    }
}

/// Lets a request through only with a live session of an enabled user whose password has
/// not changed since, and with the route's permission. For POSTs, checks `Origin` and the
/// CSRF token (`X-CSRF-Token` header, or the form's `_csrf` field, which it parses and
/// leaves in ``StockroomRequestContext/form``).
struct WebAuthMiddleware: RouterMiddleware {
    typealias Context = StockroomRequestContext
    let site: WebSite
    let permission: Permission

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard let session = try? await site.sessions.load(request: request),
            let user = try await site.users.user(session.user), !user.isDisabled,
            Int64(user.passwordChangedAt.timeIntervalSince1970) <= session.startedAt
        else { return site.signInRedirect(request) }
        var context = context
        context.principal = .user(user)
        context.webCSRF = session.csrf
        guard permission.isGranted(to: user.role) else {
            throw APIError(
                .forbidden, "forbidden",
                "your role (\(user.role.rawValue)) does not include this page or action")
        }
        var request = request
        if request.method != .get && request.method != .head {
            try site.checkOrigin(request)
            var presented = request.headers[HTTPField.Name("X-CSRF-Token")!]
            if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
                let buffer = try await request.body.collect(upTo: 256 * 1024)
                let text = String(buffer: buffer)
                let form = (try? URLEncodedFormDecoder().decode([String: String].self, from: text)) ?? [:]
                presented = presented ?? form["_csrf"]
                context.form = form
                request.body = .init(buffer: buffer)
            }
            guard let presented, CSRF.matches(presented, session.csrf) else { throw WebSite.badCSRF }
        }
        return try await next(request, context)
    }
}
