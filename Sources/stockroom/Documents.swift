import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore

/// `stockroom orders`, `stockroom transfers`, `stockroom po`, `stockroom holds`: list a
/// node's documents, or show one with its events. Read-only; safe while the daemon runs.
struct DocumentListing: ParsableArguments {
    @OptionGroup var options: NodeOptions

    @Argument(help: "A document id: show it with its events. Without: list them.")
    var id: String?

    @Option(help: "Only documents at (or, for transfers, to) this location.")
    var location: String?

    @Option(help: "Only documents in this status (open, partly_fulfilled, shipped, sent, received, cancelled, …).")
    var status: String?

    @Option(help: "At most this many (1-1000, default 50).")
    var limit = 50

    func run(_ kind: DocumentKind) async throws {
        let (store, _) = try await AdminStore.open(options)
        if let id {
            guard let record = try await store.document(DocumentKey(kind: kind, id: id)), record.openedHLC != nil else {
                throw ValidationError(
                    "no \(kind.noun) '\(id)' on this node; 'stockroom \(Self.command(kind))' lists them")
            }
            print(Self.describe(record, now: store.wallClockMillis()))
            print("events:")
            for entry in try await store.documentEvents(record.key) {
                let lines = entry.event.lines.map { "\($0.sku)×\($0.quantity)\($0.second > 0 ? "+\($0.second)" : "")" }
                print(
                    "  \(Self.time(entry.hlc.millis))  \(entry.event.action.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(entry.event.location)  \(lines.joined(separator: " "))  by \(entry.actor) (\(entry.op))\(entry.event.note.map { "  \"\($0)\"" } ?? "")"
                )
            }
            return
        }
        var query = DocumentQuery(kind: kind)
        query.location = location
        if let status {
            guard let parsed = DocumentState.Status(rawValue: status) else {
                throw ValidationError("'\(status)' is not a status of a \(kind.noun)")
            }
            query.status = parsed
        }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
        query.limit = limit
        let page = try await store.documents(query)
        if page.items.isEmpty {
            print("no \(kind.noun)s\(location.map { " at \($0)" } ?? "")\(status.map { " \($0)" } ?? "")")
        }
        for record in page.items {
            let open = record.lines.reduce(Int64(0)) { $0 + max(0, $1.quantity - $1.done - $1.second) }
            let units = record.lines.reduce(Int64(0)) { $0 + $1.quantity }
            print(
                "\(record.key.id.padding(toLength: 24, withPad: " ", startingAt: 0)) \(record.status.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)) \(Self.route(record))  \(record.lines.count) lines, \(units) units, \(open) open  \(Self.time(record.updatedHLC.millis))"
            )
        }
        if let next = page.next { print("… more after \(next)") }
    }

    static func command(_ kind: DocumentKind) -> String {
        switch kind {
        case .order: "orders"
        case .transfer: "transfers"
        case .purchaseOrder: "po"
        case .hold: "holds"
        }
    }

    static func route(_ record: DocumentRecord) -> String {
        switch record.key.kind {
        case .transfer: "\(record.location) → \(record.counterpart ?? "?")"
        case .purchaseOrder: "\(record.counterpart ?? "?") → \(record.location)"
        default: record.location
        }
    }

    static func time(_ millis: UInt64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }

    static func describe(_ record: DocumentRecord, now: UInt64) -> String {
        var text = [
            "\(record.key.kind.noun) \(record.key.id): \(record.status.rawValue)  \(route(record))"
                + (record.channel.map { "  (placed by \($0))" } ?? "")
        ]
        if let expiry = record.expiresAt {
            text.append("expires: \(time(expiry))\(expiry <= now ? " (expired)" : "")")
        }
        for line in record.lines {
            let detail =
                switch record.key.kind {
                case .order: "fulfilled \(line.done), returned \(line.received), cancelled \(line.second)"
                case .transfer: "shipped \(line.done), received \(line.received), damaged \(line.second)"
                case .purchaseOrder:
                    "received \(line.done), rejected \(line.second)"
                        + (line.unitCost.map { ", unit cost \(Double($0) / 100)" } ?? "")
                case .hold: "collected \(line.done)"
                }
            text.append("  \(line.sku): \(line.quantity) — \(detail)")
        }
        if let note = record.note { text.append("note: \(note)") }
        return text.joined(separator: "\n")
    }
}

struct Orders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List customer orders, or show one with its events.")
    @OptionGroup var listing: DocumentListing
    func run() async throws { try await listing.run(.order) }
}

struct Transfers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List transfers from or to a location, or show one with its events.")
    @OptionGroup var listing: DocumentListing
    func run() async throws { try await listing.run(.transfer) }
}

struct PurchaseOrders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "po", abstract: "List purchase orders, or show one with its events.")
    @OptionGroup var listing: DocumentListing
    func run() async throws { try await listing.run(.purchaseOrder) }
}

struct Holds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List holds (click and collect), or show one.")
    @OptionGroup var listing: DocumentListing
    func run() async throws { try await listing.run(.hold) }
}
