import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Who hears about alerts, managed by an admin (the Settings page uses the same store
/// methods): `GET /v1/alert-recipients`, `PUT /v1/alert-recipients/{id}`,
/// `DELETE /v1/alert-recipients/{id}`. Recipients from the notify file are listed with
/// `"source": "file"` and cannot be changed here.
struct RecipientRoutes {
    let store: StockroomStore

    /// A recipient as the API and the Settings form give it. Empty lists mean "every".
    struct RecipientInput: Decodable {
        var channel: String
        var to: String
        var role: String?
        var locations: [String]?
        var categories: [String]?
        var alerts: [String]?
        var digest: String?

        /// The recipient, or a 422 naming the field that is wrong.
        func recipient(id: String) throws -> AlertRecipient {
            guard let channel = AlertRecipient.Channel(rawValue: channel) else {
                throw InputError("invalid_value", "channel must be email, sms, webhook or slack")
            }
            var kinds = Set(AlertKind.allCases)
            if let alerts {
                kinds = []
                for name in alerts {
                    guard let kind = AlertKind(rawValue: name) else {
                        throw InputError("invalid_value", "alerts may hold low and out")
                    }
                    kinds.insert(kind)
                }
            }
            guard let digest = AlertRecipient.Digest(rawValue: digest ?? "immediate") else {
                throw InputError("invalid_value", "digest must be immediate, hourly or daily")
            }
            let recipient = AlertRecipient(
                id: id, channel: channel, address: to.trimmingCharacters(in: .whitespaces),
                role: role.flatMap { $0.isEmpty ? nil : $0 }, locations: Set(locations ?? []),
                categories: Set(categories ?? []), kinds: kinds, digest: digest)
            try RecipientRules.check(recipient)
            return recipient
        }
    }

    struct RecipientResponse: ResponseEncodable {
        var id: String
        var channel: String
        var to: String
        var role: String?
        var locations: [String]
        var categories: [String]
        var alerts: [String]
        var digest: String
        var source: String
        var setBy: String?
        var setAt: String?

        enum CodingKeys: String, CodingKey {
            case id, channel, to, role, locations, categories, alerts, digest, source
            case setBy = "set_by", setAt = "set_at"
        }

        init(_ entry: RecipientEntry) {
            let recipient = entry.recipient
            id = recipient.id
            channel = recipient.channel.rawValue
            to = recipient.address
            role = recipient.role
            locations = recipient.locations.sorted()
            categories = recipient.categories.sorted()
            alerts = recipient.kinds.map(\.rawValue).sorted()
            digest = recipient.digest.rawValue
            source = entry.source.rawValue
            setBy = entry.setBy
            setAt = entry.setAt.map { Timestamps.iso(HLC(millis: UInt64($0.timeIntervalSince1970 * 1000))) }
        }
    }

    struct RecipientsResponse: ResponseEncodable {
        var items: [RecipientResponse]
        /// The channels this node can send through; empty without a notify file.
        var channels: [String]
    }

    func registerAdmin(on group: RouterGroup<StockroomRequestContext>) {
        group.get("alert-recipients") { _, _ -> RecipientsResponse in
            let (entries, channels) = try await store.alertRecipients()
            return RecipientsResponse(
                items: entries.map(RecipientResponse.init), channels: channels.map(\.rawValue).sorted())
        }
        group.put("alert-recipients/:id") { request, context -> RecipientResponse in
            let id = try context.pathParameter("id")
            let body = try await RequestDecoding.json(RecipientInput.self, from: request)
            try await store.setAlertRecipient(try body.recipient(id: id), actor: context.principal!.actorName)
            let (entries, _) = try await store.alertRecipients()
            return RecipientResponse(entries.first { $0.source == .settings && $0.recipient.id == id }!)
        }
        group.delete("alert-recipients/:id") { _, context -> Response in
            let id = try context.pathParameter("id")
            guard try await store.removeAlertRecipient(id: id) else {
                throw APIError(
                    .notFound, "not_found", "no alert recipient '\(id.prefix(64))'; GET /v1/alert-recipients lists them"
                )
            }
            return Response(status: .noContent)
        }
    }
}
