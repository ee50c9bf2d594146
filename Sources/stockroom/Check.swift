import ArgumentParser
import Foundation
import StockroomStore

/// `stockroom check`: is the database sound, and does the state follow from the op log?
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the database file and that stock and catalogue follow from the op log.",
        discussion: """
            Runs SQLite's integrity_check, lists op rows that break the op rules (sync-protocol \
            section 3.1), then replays the rest of the op log with the merge rules and compares \
            the result with the stored stock and catalogue. --repair moves bad ops to the \
            quarantined_ops table and rebuilds the state. Read-only unless \
            --repair is given; safe while the daemon runs. Exits 1 when something is wrong.
            """)

    @OptionGroup var options: NodeOptions

    @Flag(help: "Rebuild stock and catalogue from the op log (the daemon must be stopped).")
    var repair = false

    func run() async throws {
        let (store, directory) = try await AdminStore.open(options)
        var report = try await store.verify()
        print("ops in log:      \(report.ops)")
        print("file integrity:  \(report.integrityProblems.isEmpty ? "ok" : "DAMAGED")")
        for problem in report.integrityProblems.prefix(20) { print("  \(problem)") }
        print(
            "state vs log:    \(report.stockMismatches.isEmpty && report.itemMismatches.isEmpty && report.stateMismatches.isEmpty ? "ok" : "DIFFERENT")"
        )
        for key in report.stockMismatches.prefix(20) { print("  stock \(key)") }
        for sku in report.itemMismatches.prefix(20) { print("  item \(sku)") }
        for state in report.stateMismatches.prefix(20) { print("  \(state)") }
        print("bad ops:         \(report.badOps.isEmpty ? "none" : "\(report.badOps.count)")")
        for bad in report.badOps.prefix(20) { print("  lsn \(bad.lsn): \(bad.problem)") }
        if report.badOps.count > 20 { print("  … and \(report.badOps.count - 20) more") }
        for sku in report.unreadableItems.prefix(20) { print("  unreadable item \(sku)") }
        if !report.integrityProblems.isEmpty {
            throw CheckFailed(
                "the database file is damaged: stop the daemon and restore \(directory.path) from a backup")
        }
        if !report.isHealthy && repair {
            try directory.lock()
            let moved = try await store.quarantineBadOps()
            if moved > 0 { print("quarantined:     \(moved) bad ops moved to the quarantined_ops table") }
            try await store.rebuildMaterialisedState()
            report = try await store.verify()
            print("repaired: state rebuilt from the op log; state vs log: \(report.isHealthy ? "ok" : "DIFFERENT")")
        }
        if !report.isHealthy {
            throw CheckFailed(
                "the state differs from the op log: stop the daemon and run 'stockroom check --repair --data \(directory.path)'"
            )
        }
    }

    struct CheckFailed: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
