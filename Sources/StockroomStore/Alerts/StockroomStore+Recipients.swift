public import Foundation
import GRDB
public import StockroomCore

/// A recipient of alert messages and where it is kept: the notify file (read-only here;
/// the IT team's, beside the channels' secrets) or Settings (the `alert_recipients` table,
/// managed by an admin from the dashboard or `/v1/alert-recipients`).
public struct RecipientEntry: Sendable {
    public enum Source: String, Sendable {
        case file, settings
    }

    public var recipient: AlertRecipient
    public var source: Source
    /// Who added or last changed it, and when (Settings entries only).
    public var setBy: String?
    public var setAt: Date?
}

extension StockroomStore {
    /// Every recipient this node sends to: the notify file's, then those added in Settings,
    /// with the channels it can send through. `channels` is empty when the node has no
    /// notify file (it sends nothing). Reads through the writer, which holds the routing.
    public func alertRecipients() async throws -> (entries: [RecipientEntry], channels: Set<AlertRecipient.Channel>) {
        try await groupWriter.submit { db, context in
            let routing = context.alerts?.routing
            let file = (routing?.recipients ?? []).map { RecipientEntry(recipient: $0, source: .file) }
            return (file + (try Self.storedRecipients(db)), routing?.channels ?? [])
        }
    }

    /// Adds a recipient, or replaces the Settings one with its id. Idempotent. Takes effect
    /// for the next alert; it survives a crash once this returns.
    ///
    /// Throws ``StoreError/invalid(field:message:)`` for an id, address, location or
    /// category that is not allowed, a channel this node cannot send through (or no notify
    /// file at all), or an id the notify file already uses; nothing is written then.
    public func setAlertRecipient(_ recipient: AlertRecipient, actor: String) async throws {
        try RecipientRules.check(recipient)
        try await groupWriter.submit { db, context in
            guard let routing = context.alerts?.routing, !routing.channels.isEmpty else {
                throw StoreError.invalid(
                    field: "channel",
                    message:
                        "this node sends no alert messages: start it with --notify FILE naming its channels (README 'Alerts')"
                )
            }
            guard routing.channels.contains(recipient.channel) else {
                throw StoreError.invalid(
                    field: "channel",
                    message:
                        "this node has no \(recipient.channel.rawValue) channel; add its section to the notify file, or choose one of: \(routing.channels.map(\.rawValue).sorted().joined(separator: ", "))"
                )
            }
            if routing.recipients.contains(where: { $0.id == recipient.id }) {
                throw StoreError.invalid(
                    field: "id",
                    message: "'\(recipient.id)' is set in the notify file; change it there, or pick another id")
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO alert_recipients
                        (id, channel, address, role, locations, categories, kinds, digest, set_by, set_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    recipient.id, recipient.channel.rawValue, recipient.address, recipient.role,
                    recipient.locations.sorted().joined(separator: "\n"),
                    recipient.categories.sorted().joined(separator: "\n"),
                    recipient.kinds.map(\.rawValue).sorted().joined(separator: "\n"), recipient.digest.rawValue, actor,
                    Int64(Date().timeIntervalSince1970),
                ])
            context.alerts?.invalidate()
        }
    }

    /// Removes a recipient added in Settings; messages already queued for it still go.
    /// Returns false when no Settings recipient has the id (nothing changes). Throws
    /// ``StoreError/invalid(field:message:)`` for one from the notify file.
    @discardableResult
    public func removeAlertRecipient(id: String) async throws -> Bool {
        try await groupWriter.submit { db, context in
            if context.alerts?.routing.recipients.contains(where: { $0.id == id }) == true {
                throw StoreError.invalid(
                    field: "id", message: "'\(id.prefix(64))' is set in the notify file; remove it there")
            }
            try db.execute(sql: "DELETE FROM alert_recipients WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            context.alerts?.invalidate()
            return true
        }
    }

    /// The recipients added in Settings, by id. Rows that no longer parse are skipped.
    static func storedRecipients(_ db: Database) throws -> [RecipientEntry] {
        func list(_ text: String) -> Set<String> { Set(text.split(separator: "\n").map(String.init)) }
        return try Row.fetchAll(
            db,
            sql: """
                SELECT id, channel, address, role, locations, categories, kinds, digest, set_by, set_at
                FROM alert_recipients ORDER BY id
                """
        ).compactMap { row in
            guard let channel = AlertRecipient.Channel(rawValue: row[1]),
                let digest = AlertRecipient.Digest(rawValue: row[7])
            else { return nil }
            let recipient = AlertRecipient(
                id: row[0], channel: channel, address: row[2], role: row[3], locations: list(row[4]),
                categories: list(row[5]), kinds: Set(list(row[6]).compactMap(AlertKind.init(rawValue:))),
                digest: digest)
            return RecipientEntry(
                recipient: recipient, source: .settings, setBy: row[8],
                setAt: Date(timeIntervalSince1970: Double(row[9] as Int64)))
        }
    }
}

/// What a recipient added in Settings may hold; the notify file's parser applies the same
/// address rules (``AlertRecipient/addressProblem(_:channel:)``).
public enum RecipientRules {
    public static func check(_ recipient: AlertRecipient) throws {
        guard InputRules.isIdentifier(recipient.id), !recipient.id.contains("/") else {
            throw StoreError.invalid(
                field: "id", message: "the id must be letters, digits, '-', '_' or '.', like dairy-buyer")
        }
        if let problem = AlertRecipient.addressProblem(recipient.address, channel: recipient.channel) {
            throw StoreError.invalid(field: "to", message: problem)
        }
        if let role = recipient.role, !role.isEmpty, !InputRules.isIdentifier(role) {
            throw StoreError.invalid(field: "role", message: "the role must be one word, like buyer or store_manager")
        }
        for location in recipient.locations {
            if let problem = InputRules.identifierProblem(location, name: "location") {
                throw StoreError.invalid(field: "locations", message: problem)
            }
        }
        for category in recipient.categories where AlertScope("category:\(category)") == nil {
            throw StoreError.invalid(
                field: "categories", message: "a category must be 1-100 bytes of text on one line, without '|'")
        }
        guard !recipient.kinds.isEmpty else {
            throw StoreError.invalid(field: "alerts", message: "choose low, out or both")
        }
        guard recipient.locations.count <= 100, recipient.categories.count <= 100 else {
            throw StoreError.invalid(field: "locations", message: "at most 100 locations and 100 categories")
        }
    }
}
