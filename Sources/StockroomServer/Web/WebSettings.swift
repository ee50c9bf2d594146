import Foundation
import Hummingbird
import StockroomStore

/// Settings (admin only): people and API tokens, through the same store methods as the
/// CLI (`stockroom user`, `stockroom token`).
extension WebSite {
    func registerSettings(admin: RouterGroup<StockroomRequestContext>) {
        admin.get("settings") { request, context in try await settings(request, context) }
        admin.post("settings/users") { request, context -> Response in
            let form = context.form
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            do {
                guard let role = Role(rawValue: form["role"] ?? "") else {
                    throw StoreError.invalid(field: "role", message: "choose a role")
                }
                try UserRules.checkName(name)
                try UserRules.checkRole(role)
                try UserRules.checkPassword(form["password"] ?? "")
                let hash = try await PasswordHashing.hash(form["password"] ?? "")
                _ = try await store.createUser(
                    name: name, displayName: (form["display_name"] ?? "").trimmingCharacters(in: .whitespaces),
                    role: role, passwordHash: hash)
            } catch let error as StoreError {
                return try await settings(request, context, error: error.description, status: .unprocessableContent)
            }
            return redirect("/settings?done=" + Self.queryEscape("User \(name) added."))
        }
        for (action, disabled) in [("disable", true), ("enable", false)] {
            admin.post(RouterPath("settings/users/:name/\(action)")) { request, context -> Response in
                let name = try context.pathParameter("name")
                do {
                    try await store.setUserDisabled(name, disabled)
                    users.forget(name)
                } catch let error as StoreError {
                    return try await settings(request, context, error: error.description, status: .unprocessableContent)
                }
                return redirect("/settings?done=" + Self.queryEscape("User \(name) \(action)d."))
            }
        }
        admin.post("settings/users/password") { request, context -> Response in
            let form = context.form
            let name = form["name"] ?? ""
            do {
                let password = form["password"] ?? ""
                try UserRules.checkPassword(password)
                let hash = try await PasswordHashing.hash(password)
                try await store.setPassword(user: name, passwordHash: hash)
                users.forget(name)
            } catch let error as StoreError {
                return try await settings(request, context, error: error.description, status: .unprocessableContent)
            }
            return redirect(
                "/settings?done="
                    + Self.queryEscape(
                        "New password set for \(name); their open sessions have ended. Tell them in person."))
        }
        admin.post("settings/tokens") { request, context -> Response in
            let form = context.form
            do {
                guard let role = Role(rawValue: form["role"] ?? ""), role != .peer else {
                    throw StoreError.invalid(field: "role", message: "choose a role")
                }
                let created = try await store.createToken(role: role, label: form["label"] ?? "")
                return try await settings(request, context, secret: created.token)
            } catch let error as StoreError {
                return try await settings(request, context, error: error.description, status: .unprocessableContent)
            }
        }
        admin.post("settings/tokens/:id/revoke") { request, context -> Response in
            let id = try context.pathParameter("id")
            try await store.revokeToken(id: id)
            return redirect(
                "/settings?done=" + Self.queryEscape("Token \(id) revoked; it stops working within seconds."))
        }
    }

    func settings(
        _ request: Request, _ context: StockroomRequestContext, error: String? = nil, secret: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let people = try await store.listUsers()
        let tokens = try await store.listTokens()
        func when(_ date: Date?) -> String {
            date.map { Self.time(UInt64($0.timeIntervalSince1970 * 1000)) } ?? "never"
        }
        var fields: [String: Any] = [
            "tabs": Self.settingsTabs("people"),
            "userNames": people.map(\.name),
            "users": people.map { user -> [String: Any] in
                [
                    "name": user.name, "displayName": user.displayName, "role": user.role.rawValue,
                    "lastSignIn": when(user.lastSignInAt), "status": user.isDisabled ? "disabled" : "active",
                    "toggleAction": user.isDisabled ? "enable" : "disable",
                    "toggleLabel": user.isDisabled ? "Enable" : "Disable",
                ]
            },
            "roles": UserRules.roles.map(\.rawValue),
            "tokenRoles": [Role.scanner, .staff, .readonly, .manager, .admin].map(\.rawValue),
            "tokens": tokens.map { token -> [String: Any] in
                [
                    "id": token.id, "label": token.label, "role": token.role.rawValue, "node": token.node ?? "",
                    "hasNode": token.node != nil,
                    "created": when(token.createdAt), "lastUsed": when(token.lastUsedAt),
                    "status": token.revokedAt == nil ? "active" : "revoked", "active": token.revokedAt == nil,
                ]
            },
        ]
        if let error { fields["error"] = error }
        if let secret { fields["secret"] = secret }
        return try await page("settings", fields, request: request, context: context, nav: "settings", status: status)
    }
}
