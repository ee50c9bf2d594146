import ArgumentParser
import Foundation
import StockroomCore
import StockroomNotify
import StockroomStore

/// `stockroom alerts`: list alert episodes, show one, acknowledge or snooze it. Writes go
/// through ops, so they replicate; safe while the daemon runs.
struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List low- and out-of-stock alerts; acknowledge or snooze them.",
        subcommands: [List.self, Show.self, Ack.self, Snooze.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List alert episodes, newest first.")
        @OptionGroup var options: NodeOptions
        @Option(help: "open (default), recovered or all.") var status = "open"
        @Option(help: "Only at this location (and its sub-locations).") var location: String?
        @Option(help: "Only of this SKU.") var sku: String?
        @Option(help: "At most this many (1-1000).") var limit = 50

        func run() async throws {
            let open: Bool? =
                switch status {
                case "open": true
                case "recovered": false
                case "all": nil
                default: throw ValidationError("--status must be open, recovered or all")
                }
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
            let (store, _) = try await AdminStore.open(options)
            let episodes = try await store.alertEpisodes(open: open, location: location, sku: sku, limit: limit)
            if episodes.isEmpty { print("no \(status == "all" ? "" : status + " ")alerts") }
            for episode in episodes { print(Alerts.line(episode)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one alert with its deliveries.")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The alert id (ep-…).") var id: String

        func run() async throws {
            let (store, _) = try await AdminStore.open(options)
            let episode = try await Alerts.find(id, store)
            print(Alerts.line(episode))
            print(
                "  rule \(episode.rule); crossed at op \(episode.crossing) with \(episode.state) \(episode.openedValue)"
            )
            for message in episode.deliveries {
                print(
                    "  → \(message.recipient) by \(message.channel.rawValue): \(message.status), \(message.attempts) attempt(s)\(message.lastError.map { "; \($0)" } ?? "")"
                )
            }
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Acknowledge an alert: what is still unsent of it is not sent.")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The alert id (ep-…).") var id: String
        @Option(help: "Who acknowledges (recorded in the audit trail).") var actor = "cli"

        func run() async throws {
            let (store, _) = try await AdminStore.open(options)
            let episode = try await Alerts.find(id, store)
            try await store.setSetting(
                Setting(namespace: .alertAction, key: episode.id, value: AlertAction(acknowledged: true).text),
                actor: actor)
            print("acknowledged \(episode.id) (\(episode.key))")
        }
    }

    struct Snooze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snooze a cell's alerts of this kind: no message before the time is up.")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The alert id (ep-…).") var id: String
        @Option(help: "For this many hours (up to 2160).") var hours: Double = 24
        @Option(help: "Who snoozes (recorded in the audit trail).") var actor = "cli"

        func run() async throws {
            guard hours > 0, hours <= 2160 else {
                throw ValidationError("--hours must be more than 0 and at most 2160")
            }
            let (store, _) = try await AdminStore.open(options)
            let episode = try await Alerts.find(id, store)
            let until = store.wallClockMillis() + UInt64(hours * 3_600_000)
            try await store.setSetting(
                Setting(
                    namespace: .alertAction, key: AlertAction.Target.cell(episode.kind, episode.key).key,
                    value: AlertAction(snoozedUntil: until).text), actor: actor)
            print("snoozed \(episode.kind.rawValue) alerts of \(episode.key) until \(DocumentListing.time(until))")
        }
    }

    static func find(_ id: String, _ store: StockroomStore) async throws -> AlertEpisodeRecord {
        guard let episode = try await store.alertEpisodes(id: id, limit: 1).first else {
            throw ValidationError("no alert '\(id)' on this node; 'stockroom alerts --status all' lists them")
        }
        return episode
    }

    static func line(_ episode: AlertEpisodeRecord) -> String {
        let status =
            episode.closedAt != nil ? "recovered" : episode.acknowledged ? "acknowledged" : "open"
        let cover = episode.daysOfCover.map { "\($0) days cover" } ?? "no recent sales"
        let sent = episode.deliveries.filter { $0.status == "sent" }.count
        let told =
            episode.deliveries.isEmpty
            ? "no message from this node" : "\(sent)/\(episode.deliveries.count) messages sent"
        return
            "\(episode.id)  \(episode.kind.rawValue.padding(toLength: 3, withPad: " ", startingAt: 0))  \(status.padding(toLength: 12, withPad: " ", startingAt: 0))  \(episode.key.sku)@\(episode.key.location)  \(episode.state) \(episode.value) (alert at \(episode.threshold))  \(cover)  since \(DocumentListing.time(episode.openedAt))  \(told)"
    }
}

/// `stockroom replenish`: what to order or move, with the arithmetic; `--apply` turns it
/// into draft purchase orders and transfers.
struct Replenish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Suggest purchase orders and transfers from the reorder rules; --apply drafts them.")
    @OptionGroup var options: NodeOptions
    @Option(help: "Only for this destination location (and its sub-locations).") var location: String?
    @Option(help: "Only these SKUs (repeatable).") var sku: [String] = []
    @Flag(help: "Draft the purchase orders (one per supplier and location) and transfers.") var apply = false
    @Flag(help: "Print every suggestion's arithmetic.") var explain = false
    @Option(help: "Who applies (recorded on the documents).") var actor = "cli"

    func run() async throws {
        let (store, _) = try await AdminStore.open(options)
        if try await store.storedRole() != "hub" {
            // The same bound the daemon's own writes have: a store drafts only at its own locations.
            try await store.restrictLocalWrites(to: .own(store.nodeID))
        }
        let report = try await store.replenishment(location: location)
        let suggestions = report.suggestions.filter { sku.isEmpty || sku.contains($0.key.sku) }
        print("\(suggestions.count) suggestion(s) from \(report.cells) cells, computed in \(report.computedMillis) ms")
        for suggestion in suggestions {
            let action: String =
                switch suggestion.action {
                case .purchase(let supplier): "buy from \(supplier ?? "(no supplier)")"
                case .transfer(let from): "transfer from \(from)"
                }
            let ages = ([suggestion.key.location] + suggestion.sources).map { place in
                let age = report.staleness[place]
                return age?.isOwn == true
                    ? "\(place): current" : "\(place): data \(age?.ageSeconds.map { Self.age($0) } ?? "never received")"
            }
            print(
                "\(suggestion.key.sku)@\(suggestion.key.location)  \(action)  \(suggestion.quantity)  (position \(suggestion.position), reorder point \(suggestion.reorderPoint); ERPNext would order \(suggestion.erpnextQuantity))  [\(ages.joined(separator: "; "))]"
            )
            if explain { suggestion.arithmetic.forEach { print("    \($0)") } }
        }
        guard apply else {
            if !suggestions.isEmpty { print("run again with --apply to draft them") }
            return
        }
        let applied = try await store.applyReplenishment(
            location: location, skus: sku.isEmpty ? nil : Set(sku), actor: actor)
        for document in applied.created {
            print(
                "drafted \(document.key.kind.noun) \(document.key.id): \(DocumentListing.route(document)), \(document.lines.count) line(s)"
            )
        }
        for (suggestion, reason) in applied.skipped {
            print("skipped \(suggestion.key.sku)@\(suggestion.key.location): \(reason)")
        }
    }

    static func age(_ seconds: Int64) -> String {
        seconds < 120 ? "\(seconds) s old" : seconds < 7200 ? "\(seconds / 60) min old" : "\(seconds / 3600) h old"
    }
}

/// `stockroom notify`: test a channel, list the outbox, send a dead message again.
struct Notify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test alert channels and look at the outbox.", subcommands: [Test.self, List.self, Retry.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test message now and print exactly what the server answered.")
        @OptionGroup var options: NodeOptions
        @Option(help: "email, sms, webhook or slack.") var channel: String
        @Option(help: "The address, number or URL to send to.") var to: String
        @Option(help: "The notify file (default: the config file's 'notify').") var notify: String?

        func run() async throws {
            let reader = try await options.reader()
            guard let path = notify ?? reader.string(forKey: "notify") else {
                throw ValidationError("name the notify file with --notify FILE (README 'Alerts')")
            }
            let configuration: NotifyConfiguration
            do {
                configuration = try NotifyConfiguration.load(path: path)
            } catch let invalid as NotifyConfiguration.Invalid {
                throw ValidationError(invalid.description)
            }
            do {
                let result = try await NotificationTest.send(channel: channel, to: to, configuration: configuration)
                print("\(channel) to \(to): \(result.outcome)")
                print("server answered: \(result.answer)")
                if result.outcome != "sent" { throw ExitCode(1) }
            } catch let refused as NotificationTest.Refused {
                throw ValidationError(refused.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outbox messages, newest first.")
        @OptionGroup var options: NodeOptions
        @Option(help: "pending, sent, dead or cancelled.") var status: String?
        @Option(help: "At most this many (1-1000).") var limit = 50

        func run() async throws {
            if let status, !["pending", "sent", "dead", "cancelled"].contains(status) {
                throw ValidationError("--status must be pending, sent, dead or cancelled")
            }
            let (store, _) = try await AdminStore.open(options)
            let messages = try await store.outboxMessages(status: status, limit: limit)
            if messages.isEmpty { print("no messages\(status.map { " \($0)" } ?? "")") }
            for message in messages {
                print(
                    "\(message.id)  \(message.status)  \(message.channel.rawValue) \(message.address)  \(message.attempts) attempt(s)  \(message.subject)\(message.lastError.map { "\n    last answer: \($0)" } ?? "")"
                )
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a dead or cancelled message again.")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The message id (from 'stockroom notify list').") var id: String

        func run() async throws {
            let (store, _) = try await AdminStore.open(options)
            guard try await store.retryMessage(id) else {
                throw ValidationError(
                    "no dead or cancelled message '\(id)'; 'stockroom notify list --status dead' lists them")
            }
            print("queued \(id) again; the running daemon sends it within a second")
        }
    }
}
