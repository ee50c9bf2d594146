import ArgumentParser
import Foundation
import StockroomStore

/// `stockroom compact`: what the daemon's history compaction does, now.
struct Compact: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete from a store's log the scans its counts cover and its hub holds (rule K2).",
        discussion: """
            A store's log keeps every scan for --history-days of business time. Older scans \
            that a shelf count already covers, that carry no unit cost, and that the hub said \
            every count still to come has seen (a stable cut sent on a pull that reached the \
            end of its log, at least --delay-days ago) are deleted; they add nothing to any \
            quantity. The hub keeps them all. Safe while the daemon runs; refused on a hub.
            """)

    @OptionGroup var options: NodeOptions

    @Option(help: "Days of business time kept whatever the counts say (default 400).")
    var historyDays = 400

    @Option(
        help:
            "Use only a stable cut the hub sent at least this many days ago, so a hub restored from a younger backup still holds what is deleted (default 8)."
    )
    var delayDays = 8

    func run() async throws {
        guard historyDays >= 0, delayDays >= 0 else {
            throw ValidationError("--history-days and --delay-days must be 0 or more")
        }
        let (store, _) = try await AdminStore.open(options)
        guard try await store.storedRole() != "hub" else {
            throw ValidationError("this is a hub: it keeps the chain's whole history; compact stores")
        }
        let before = try await store.statistics().ops
        let report = try await store.compactHistory(historyDays: historyDays, delayDays: delayDays)
        guard let cut = report.stableCut else {
            print(
                "nothing deleted: the hub has sent no stable cut \(delayDays) days old or more (it sends one on every complete pull)"
            )
            return
        }
        print("scans read:      \(report.scanned)")
        print(
            "scans deleted:   \(report.deleted) (older than \(historyDays) days, covered by a count, held by the hub)")
        print("ops in log:      \(before) -> \(before - Int64(report.deleted))")
        print("hub's stable cut: \(cut.sortedEntries.count) origins")
    }
}
