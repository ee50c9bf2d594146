import Foundation
import Hummingbird
import StockroomCore
import StockroomNotify
import StockroomStore

/// Settings → Alert recipients (admin only): the channels this node sends through (from
/// its notify file, shown without secrets), a test message on any of them, and the people
/// and systems that hear about alerts. Recipients added here go through the same store
/// methods as `/v1/alert-recipients`; the notify file's own are listed and left alone.
extension WebSite {
    func registerAlertSettings(admin: RouterGroup<StockroomRequestContext>) {
        admin.get("settings/alerts") { request, context in try await alertSettings(request, context) }
        admin.post("settings/alerts/recipients") { request, context -> Response in
            let form = context.form
            let id = (form["id"] ?? "").trimmingCharacters(in: .whitespaces)
            do {
                let input = RecipientRoutes.RecipientInput(
                    channel: form["channel"] ?? "", to: form["to"] ?? "", role: form["role"],
                    locations: Self.list(form["locations"]), categories: Self.list(form["categories"]),
                    alerts: ["low", "out"].filter { form["alert_\($0)"] != nil }, digest: form["digest"])
                try await store.setAlertRecipient(try input.recipient(id: id), actor: context.principal!.actorName)
            } catch let refusal as any WebRefusal {
                return try await alertSettings(request, context, error: refusal.shown, form: form)
            }
            return redirect("/settings/alerts?done=" + Self.queryEscape("Recipient \(id) saved."))
        }
        admin.post("settings/alerts/recipients/:id/remove") { request, context -> Response in
            let id = try context.pathParameter("id")
            do {
                guard try await store.removeAlertRecipient(id: id) else {
                    return try await alertSettings(
                        request, context, error: "No recipient \(id); it was removed already.")
                }
            } catch let refusal as any WebRefusal {
                return try await alertSettings(request, context, error: refusal.shown)
            }
            return redirect("/settings/alerts?done=" + Self.queryEscape("Recipient \(id) removed."))
        }
        admin.post("settings/alerts/test") { request, context -> Response in
            let form = context.form
            let channel = form["channel"] ?? ""
            let address = (form["to"] ?? "").trimmingCharacters(in: .whitespaces)
            do {
                let result = try await NotificationTest.send(channel: channel, to: address, configuration: notify)
                let text =
                    "Test message to \(address) by \(channel): \(result.outcome). The server answered: \(result.answer)"
                if result.outcome == "sent" {
                    return redirect("/settings/alerts?done=" + Self.queryEscape(text))
                }
                return try await alertSettings(request, context, error: text)
            } catch let refused as NotificationTest.Refused {
                return try await alertSettings(request, context, error: refused.description)
            }
        }
    }

    /// A form's comma-separated list ("store-1, store-2"), without blanks.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func alertSettings(
        _ request: Request, _ context: StockroomRequestContext, error: String? = nil, form: [String: String]? = nil
    ) async throws -> Response {
        let (entries, channels) = try await store.alertRecipients()
        var editing = form
        if editing == nil, let id = request.uri.queryParameters["edit"].map(String.init),
            let entry = entries.first(where: { $0.source == .settings && $0.recipient.id == id })
        {
            let recipient = entry.recipient
            editing = [
                "id": recipient.id, "channel": recipient.channel.rawValue, "to": recipient.address,
                "role": recipient.role ?? "", "locations": recipient.locations.sorted().joined(separator: ", "),
                "categories": recipient.categories.sorted().joined(separator: ", "),
                "digest": recipient.digest.rawValue,
            ]
            for kind in recipient.kinds { editing?["alert_\(kind.rawValue)"] = "on" }
        }
        let values = editing ?? ["alert_low": "on", "alert_out": "on"]
        var fields: [String: Any] = [
            "tabs": Self.settingsTabs("alerts"),
            "sends": !channels.isEmpty,
            "channels": Self.channelRows(notify),
            "recipients": entries.map { entry -> [String: Any] in
                let recipient = entry.recipient
                return [
                    "id": recipient.id, "channel": recipient.channel.rawValue, "to": recipient.address,
                    "role": recipient.role ?? "",
                    "locations": recipient.locations.isEmpty
                        ? "all" : recipient.locations.sorted().joined(separator: ", "),
                    "categories": recipient.categories.isEmpty
                        ? "all" : recipient.categories.sorted().joined(separator: ", "),
                    "alerts": recipient.kinds.map(\.rawValue).sorted().joined(separator: ", "),
                    "digest": recipient.digest.rawValue, "editable": entry.source == .settings,
                    "source": entry.source == .file ? "notify file" : "Settings, by \(entry.setBy ?? "?")",
                ]
            },
            "channelOptions": AlertRecipient.Channel.allCases.filter(channels.contains).map {
                ["value": $0.rawValue, "selected": values["channel"] == $0.rawValue]
            },
            "digestOptions": AlertRecipient.Digest.allCases.map {
                ["value": $0.rawValue, "selected": (values["digest"] ?? "immediate") == $0.rawValue]
            },
            "form": values.merging(
                [
                    "low": values["alert_low"] != nil ? "checked" : "",
                    "out": values["alert_out"] != nil ? "checked" : "",
                ]
            ) { $1 },
            "editing": form == nil && editing != nil,
        ]
        if let error { fields["error"] = error }
        return try await page(
            "settings-alerts", fields, request: request, context: context, nav: "settings",
            status: error == nil ? .ok : .unprocessableContent)
    }

    /// The notify file's channels as a manager reads them; secrets only as "set".
    static func channelRows(_ notify: NotifyConfiguration?) -> [[String: Any]] {
        guard let notify else { return [] }
        var rows: [[String: Any]] = []
        if let email = notify.email {
            rows.append([
                "name": "E-mail",
                "detail":
                    "through \(email.url) as \(email.from), STARTTLS \(email.startTLS), password \(email.password == nil ? "not set" : "set")",
            ])
        } else {
            rows.append(["name": "E-mail", "detail": "not set up: add an \"email\" section to the notify file"])
        }
        if let sms = notify.sms {
            rows.append(["name": "SMS", "detail": "through \(sms.baseURL), account \(sms.account), from \(sms.from)"])
        } else {
            rows.append(["name": "SMS", "detail": "not set up: add an \"sms\" section to the notify file"])
        }
        rows.append([
            "name": "Webhook",
            "detail": notify.webhookSecret == nil
                ? "not set up: add a \"webhook\" secret to the notify file" : "signed (Standard Webhooks; secret set)",
        ])
        rows.append(["name": "Slack", "detail": "any Slack incoming-webhook URL"])
        return rows
    }

    /// The Settings pages' tabs, with the current one marked.
    static func settingsTabs(_ current: String) -> [[String: Any]] {
        [
            ("people", "/settings", "People and tokens"), ("alerts", "/settings/alerts", "Alert recipients"),
            ("rules", "/settings/rules", "Stock rules"),
        ].map { key, href, label in
            ["href": href, "label": label, "current": key == current]
        }
    }
}

/// A refusal the web pages show on the form that caused it: the store's, the input
/// rules', the merge rules' and the document lifecycle's, each with a message written for
/// a person.
protocol WebRefusal: Error {
    var shown: String { get }
}

extension StoreError: WebRefusal {
    var shown: String { description }
}

extension InputError: WebRefusal {
    var shown: String { message }
}

extension OpViolation: WebRefusal {
    var shown: String { description }
}

extension DocumentRefusal: WebRefusal {
    var shown: String { message }
}
