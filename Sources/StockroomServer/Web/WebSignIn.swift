import Foundation
import Hummingbird
import HummingbirdAuth
import StockroomStore

extension WebSite {
    /// `GET/POST /signin`, `POST /signout`. The sign-in form is protected by a double-submit
    /// token (a cookie scoped to /signin and the same value in the form) plus the Origin
    /// check, since there is no session yet to bind a token to.
    func registerSignIn(on group: RouterGroup<StockroomRequestContext>, signedIn: RouterGroup<StockroomRequestContext>)
    {
        group.get("signin") { request, context -> Response in
            if let session = try? await sessions.load(request: request),
                let user = try await users.user(session.user), !user.isDisabled
            {
                return redirect(Self.safeNext(request.uri.queryParameters["next"].map(String.init)))
            }
            return try await signInPage(
                request: request, next: request.uri.queryParameters["next"].map(String.init) ?? "/",
                name: "", error: nil,
                notice: request.uri.queryParameters["signed_out"] != nil ? "You are signed out." : nil)
        }

        group.post("signin") { request, context -> Response in
            try checkOrigin(request)
            let buffer = try await request.body.collect(upTo: 16 * 1024)
            let form = (try? URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: buffer))) ?? [:]
            guard let signInToken = request.cookies[Self.signInCookie]?.value, let presented = form["_csrf"],
                CSRF.matches(String(signInToken), presented)
            else { throw Self.badCSRF }
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            let password = form["password"] ?? ""
            let next = form["next"] ?? "/"
            let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
            let keys = ["user:" + name, "address:" + address]
            let wait = throttle.delay(for: keys)
            if wait > 0 {
                return try await signInPage(
                    request: request, next: next, name: name,
                    error: "Too many failed sign-ins. Wait \(Int(wait.rounded(.up))) seconds, then try again.",
                    status: .tooManyRequests)
            }
            let credentials = try await store.userCredentials(name: name)
            let matches = try await PasswordHashing.verify(
                password, hash: credentials?.passwordHash ?? PasswordHashing.decoy)
            guard let credentials, matches else {
                throttle.recordFailure(for: keys)
                return try await signInPage(
                    request: request, next: next, name: name, error: "The user name or password is not right.",
                    status: .unauthorized)
            }
            guard !credentials.user.isDisabled else {
                return try await signInPage(
                    request: request, next: next, name: name,
                    error: "This account is disabled. Ask an admin of this node to enable it.",
                    status: .forbidden)
            }
            throttle.recordSuccess(for: keys)
            // A new session id at every sign-in (no fixation); any session the browser
            // brought is ended.
            if sessions.getId(request: request) != nil { _ = try? await sessions.delete(request: request) }
            let cookie = try await sessions.save(
                session: WebSession(
                    user: name, csrf: CSRF.newToken(), startedAt: Int64(Date().timeIntervalSince1970)),
                expiresIn: Self.sessionLifetime)
            try await store.recordSignIn(user: name)
            users.forget(name)
            var headers = HTTPFields()
            headers[values: .setCookie].append(cookie.description)
            headers[values: .setCookie].append(expiredSignInCookie.description)
            return redirect(Self.safeNext(next), headers: headers)
        }

        // Sign-out needs the session's CSRF token too (a forged sign-out is a nuisance).
        signedIn.post("signout") {
            request, context -> Response in
            var headers = HTTPFields()
            if let expired = try? await sessions.delete(request: request) {
                headers[values: .setCookie].append(expired.description)
            }
            return redirect("/signin?signed_out=1", headers: headers)
        }
    }

    func signInPage(
        request: Request, next: String, name: String, error: String?, notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let token = CSRF.newToken()
        var fields: [String: Any] = [
            "csrf": token, "next": Self.safeNext(next), "name": name, "node": store.nodeID.rawValue,
            "roleLabel": role == "hub" ? "hub" : "store", "dataFolder": dataFolder,
            "noUsers": try await !store.hasEnabledAdmin(),
        ]
        if let error { fields["error"] = error }
        if let notice { fields["notice"] = notice }
        let cookie = Cookie(
            name: Self.signInCookie, value: token, maxAge: 3600, path: "/signin", secure: secure, httpOnly: true,
            sameSite: .strict)
        var headers = HTTPFields()
        headers[values: .setCookie].append(cookie.description)
        return html(templates.render(fields, withTemplate: "signin") ?? "", status: status, headers: headers)
    }

    var expiredSignInCookie: Cookie {
        Cookie(name: Self.signInCookie, value: "", maxAge: 0, path: "/signin", secure: secure, sameSite: .strict)
    }

    /// Only a path on this node: never `//host` or `https://…` (an open redirect).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
            !next.contains("\r"), !next.contains("\n")
        else { return "/" }
        return next
    }
}
