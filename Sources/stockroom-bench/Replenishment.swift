import ArgumentParser
import Foundation
import StockroomCore
import StockroomStore
import StockroomTesting

/// Issue #13's target: replenishment for 10,000 items × 20 locations in under 2 s. A hub
/// database with the sample catalogue, stock and a reorder rule at every cell, 28 days of
/// sales in part of them and a supplier; the figure is `GET /v1/replenishment`'s work
/// (``StockroomStore/replenishment(location:)``), in process, median of the rounds.
struct Replenishment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replenishment", abstract: "Seconds to compute replenishment for items × locations.")

    @OptionGroup var output: BenchOutput
    @Option(help: "Locations (stores).") var locations = 20
    @Option(help: "Sale scans spread over the cells (the 28-day demand).") var sales = 100_000

    func run() async throws {
        let node = try BenchNode(binary: output.binary, name: "hub")
        _ = try node.admin(["import", "catalog", "fixtures/catalog-10k.csv", "--node", "hub"])
        let store = try StockroomStore(path: node.data + "/stockroom.sqlite", nodeID: NodeID("hub")!)
        let skus = try String(contentsOfFile: "fixtures/catalog-10k.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
        var random = SeededGenerator(seed: 13)
        let started = ContinuousClock.now
        _ = try await store.createSupplier(
            "northfield", fields: [.name: .text("Northfield"), .minimumOrder: .int(24), .packSize: .int(12)],
            actor: "bench")
        for location in 0..<locations {
            var rules: [Setting] = []
            var receipts: [ScanCommand] = []
            for (index, sku) in skus.enumerated() {
                let key = StockKey(sku: sku, location: "store-\(location)")
                rules.append(
                    Setting(
                        namespace: .reorderRule, key: ReorderRuleKey(key).description,
                        value: ReorderRule(min: 10, max: 40, multiple: 6, leadDays: 3, supplier: "northfield").text))
                receipts.append(
                    ScanCommand(
                        scanID: "r\(location)-\(index)", code: sku,
                        quantity: Int64.random(in: 0...60, using: &random) + 1,
                        action: .move(.receive), location: key.location, device: "dock"))
            }
            try await store.setSettings(rules, actor: "bench")
            for chunk in stride(from: 0, to: receipts.count, by: 1000) {
                _ = try await store.recordScans(
                    Array(receipts[chunk..<min(chunk + 1000, receipts.count)]), actor: "bench")
            }
        }
        for chunk in stride(from: 0, to: sales, by: 1000) {
            let scans = (chunk..<min(chunk + 1000, sales)).map { n in
                ScanCommand(
                    scanID: "s\(n)", code: skus.randomElement(using: &random)!, quantity: 1, action: .move(.sale),
                    location: "store-\(Int.random(in: 0..<locations, using: &random))", device: "till")
            }
            _ = try await store.recordScans(scans, actor: "bench")
        }
        print(
            String(
                format: "replenishment: set up %d cells in %.1f s", skus.count * locations,
                (ContinuousClock.now - started).seconds))
        var seconds: [Double] = []
        var suggestions = 0
        for round in 1...output.rounds {
            let begin = ContinuousClock.now
            let report = try await store.replenishment()
            let elapsed = (ContinuousClock.now - begin).seconds
            seconds.append(elapsed)
            suggestions = report.suggestions.count
            print(
                String(
                    format: "replenishment, round %d: %d cells, %d suggestions in %.3f s", round, report.cells,
                    report.suggestions.count, elapsed))
        }
        try output.write([
            "items": skus.count, "locations": locations, "cells": skus.count * locations, "suggestions": suggestions,
            "seconds": seconds, "seconds_median": median(seconds),
        ])
    }
}
