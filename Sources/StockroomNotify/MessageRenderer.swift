public import Foundation
import StockroomCore
public import StockroomStore

/// Writes what a batch of the outbox says: subject, text, HTML and the webhook JSON, from
/// the episodes and documents as they stand when it goes out (so days of cover are
/// current). A message tells the reader what to do next.
public struct MessageRenderer: Sendable {
    let store: StockroomStore

    public init(store: StockroomStore) { self.store = store }

    public func render(_ batch: OutboxBatch, now: UInt64) async throws -> RenderedMessage {
        var sections: [(text: String, html: String, data: [String: Any])] = []
        var attachment: (name: String, type: String, data: Data)?
        for message in batch.messages {
            if let episodeID = message.episode,
                let episode = try await store.alertEpisodes(id: episodeID, limit: 1).first
            {
                sections.append(try await alertSection(episode))
            } else if let document = message.document, message.topic == "po.send",
                let (po, csv) = try await store.purchaseOrderCSV(document)
            {
                let lines = po.lines.map { "  \($0.sku): \($0.quantity)" }.joined(separator: "\n")
                sections.append(
                    (
                        "Purchase order \(po.key.id) for delivery to \(po.location).\n\(po.lines.count) line(s):\n\(lines)\nThe lines are attached as CSV. Please confirm the delivery date by replying to this message.",
                        "<p>Purchase order <strong>\(escape(po.key.id))</strong> for delivery to \(escape(po.location)).</p><ul>"
                            + po.lines.map { "<li>\(escape($0.sku)): \($0.quantity)</li>" }.joined()
                            + "</ul><p>The lines are attached as CSV. Please confirm the delivery date by replying.</p>",
                        ["purchase_order": po.key.id, "location": po.location, "lines": po.lines.count]
                    ))
                attachment = ("\(po.key.id).csv", "text/csv; charset=utf-8", Data(csv.utf8))
            } else {
                sections.append(
                    (
                        message.subject, "<p>\(escape(message.subject))</p>",
                        ["subject": message.subject, "topic": message.topic]
                    ))
            }
        }
        let single = batch.messages.count == 1
        let subject =
            single ? batch.messages[0].subject : "Stockroom digest: \(batch.messages.count) stock alerts"
        let type = single ? batch.messages[0].topic : "alert.digest"
        let footer =
            "\n\n-- \nStockroom. Acknowledge an alert with `stockroom alerts ack ID`, or POST /v1/alerts/ID/ack; snooze it with `stockroom alerts snooze ID --hours 24`."
        let text = sections.map(\.text).joined(separator: "\n\n") + footer
        let html =
            "<html><body style=\"font-family:sans-serif\"><h2>\(escape(subject))</h2>"
            + sections.map(\.html).joined(separator: "<hr>")
            + "<p style=\"color:#666\">Acknowledge: <code>stockroom alerts ack ID</code>. Snooze: <code>stockroom alerts snooze ID --hours 24</code>.</p></body></html>"
        let timestamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(now) / 1000))
        let data: [String: Any] = single ? sections[0].data : ["alerts": sections.map(\.data) as [Any]]
        let payload: [String: Any] = ["type": type, "timestamp": timestamp, "data": data]
        let json = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
        return RenderedMessage(
            id: batch.id, type: type, subject: subject, text: text, html: html, json: json, attachment: attachment)
    }

    private func alertSection(
        _ episode: AlertEpisodeRecord
    ) async throws -> (
        text: String, html: String, data: [String: Any]
    ) {
        let name = (try? await store.item(sku: episode.key.sku, includeDeleted: true).name) ?? episode.key.sku
        let cover =
            episode.daysOfCover.map { "\($0) days at \(episode.coverBasis)" }
            ?? "no sales in the last 28 days and no demand forecast"
        let what = episode.kind == .out ? "Out of stock" : "Low stock"
        let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(episode.openedAt) / 1000))
        let next =
            episode.kind == .out
            ? "Next: receive or transfer stock in; see suggestions with `stockroom replenish --location \(episode.key.location)`."
            : "Next: check suggestions with `stockroom replenish --location \(episode.key.location)` and turn them into a PO or transfer."
        let text = """
            \(what): \(name) (\(episode.key.sku)) at \(episode.key.location)
              \(episode.state) now \(episode.value); alert at \(episode.threshold) or below (rule \(episode.rule))
              cover: \(cover)
              since \(since), op \(episode.crossing); alert \(episode.id)
              \(next)
            """
        let html =
            "<p><strong>\(what)</strong>: \(escape(name)) (<code>\(escape(episode.key.sku))</code>) at \(escape(episode.key.location))<br>"
            + "\(episode.state) now <strong>\(episode.value)</strong>; alert at \(episode.threshold) or below<br>"
            + "Cover: \(escape(cover))<br>Since \(since) &middot; alert <code>\(episode.id)</code></p><p>\(escape(next))</p>"
        var data: [String: Any] = [
            "alert": episode.id, "kind": episode.kind.rawValue, "sku": episode.key.sku, "name": name,
            "location": episode.key.location, "state": episode.state, "value": episode.value,
            "threshold": episode.threshold, "opened_at": since, "crossing_op": episode.crossing.description,
            "units_sold_28d": episode.unitsSold,
        ]
        if let days = episode.daysOfCover { data["days_of_cover"] = days }
        return (text, html, data)
    }

    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
