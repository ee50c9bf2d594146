import Foundation
public import StockroomCore

/// The arithmetic cases of sync-protocol section 11 (`case.json` under
/// sync-protocol/vectors/alerts and /replenishment), written by write_vectors.py from its
/// own Python implementation of the rules: crossings with hysteresis and episode ids, and
/// the planner's suggestions.
public struct ArithmeticVector: Sendable {
    public var name: String
    /// What this implementation gives, and what the case expects, as comparable text.
    public var actual: [String]
    public var expected: [String]

    public static func all(root: String = SyncVector.root) throws -> [ArithmeticVector] {
        var vectors: [ArithmeticVector] = []
        for area in ["alerts", "replenishment"] {
            let folder = root + "/" + area
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder).sorted()) ?? [] {
                let path = folder + "/" + name + "/case.json"
                guard let data = FileManager.default.contents(atPath: path),
                    let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                else { throw SyncVector.LoadError(description: "\(area)/\(name): unreadable case.json") }
                vectors.append(
                    area == "alerts"
                        ? try alerts(json, name: area + "/" + name) : try plan(json, name: area + "/" + name))
            }
        }
        return vectors
    }

    static func alerts(_ json: [String: Any], name: String) throws -> ArithmeticVector {
        guard let rule = AlertRule.parse(json["rule"] as? String ?? "").value,
            let kind = AlertKind(rawValue: json["kind"] as? String ?? ""),
            let cell = (json["cell"] as? String).flatMap(Self.key),
            let observations = json["observations"] as? [[Any]]
        else { throw SyncVector.LoadError(description: "\(name): bad alert case") }
        var open: (id: String, crossing: String)?
        var actual: [String] = []
        for observation in observations {
            guard let text = observation.first as? String, let op = OpID(text), let value = observation.last as? Int
            else { throw SyncVector.LoadError(description: "\(name): bad observation") }
            switch AlertTrigger.next(open: open != nil, value: Int64(value), rule: rule) {
            case .fire: open = (AlertTrigger.episodeID(kind: kind, key: cell, crossing: op), text)
            case .rearm:
                actual.append("\(open!.id) \(open!.crossing) \(text)")
                open = nil
            case .none: break
            }
        }
        if let open { actual.append("\(open.id) \(open.crossing) open") }
        let expected = (json["episodes"] as? [[String: String]] ?? []).map {
            "\($0["id"] ?? "") \($0["crossing"] ?? "") \($0["closed_by"] ?? "open")"
        }
        return ArithmeticVector(name: name, actual: actual, expected: expected)
    }

    static func plan(_ json: [String: Any], name: String) throws -> ArithmeticVector {
        var cells: [ReplenishmentPlanner.Cell] = []
        for cell in json["cells"] as? [[String: Any]] ?? [] {
            guard let key = (cell["cell"] as? String).flatMap(Self.key) else {
                throw SyncVector.LoadError(description: "\(name): bad cell")
            }
            let states = cell["states"] as? [String: Int] ?? [:]
            func state(_ name: String) -> Int64 { Int64(states[name] ?? 0) }
            cells.append(
                ReplenishmentPlanner.Cell(
                    key: key, rule: (cell["rule"] as? String).flatMap { ReorderRule.parse($0).value },
                    states: StockStates(
                        onHand: state("on_hand"), committed: state("committed"), held: state("held"),
                        unavailable: state("unavailable"), incoming: state("incoming"), inTransit: state("in_transit")),
                    unitsSold: Int64(cell["units_sold"] as? Int ?? 0), drafted: Int64(cell["drafted"] as? Int ?? 0)))
        }
        var suppliers: [String: ReplenishmentPlanner.SupplierTerms] = [:]
        for (id, terms) in json["suppliers"] as? [String: [String: Int]] ?? [:] {
            suppliers[id] = .init(
                leadDays: Int64(terms["lead_days"] ?? 0), minimumOrder: Int64(terms["minimum_order"] ?? 0),
                packSize: Int64(terms["pack_size"] ?? 1))
        }
        let actual = ReplenishmentPlanner.plan(cells, suppliers: suppliers, now: UInt64(json["now"] as? Int ?? 0)).map {
            suggestion -> String in
            let action: String =
                switch suggestion.action {
                case .purchase(let supplier): "buy:\(supplier ?? "-")"
                case .transfer(let from): "transfer:\(from)"
                }
            return "\(suggestion.key) \(action) \(suggestion.quantity) erpnext \(suggestion.erpnextQuantity)"
        }
        let expected = (json["suggestions"] as? [[String: Any]] ?? []).map {
            "\($0["cell"] ?? "") \($0["action"] ?? "") \($0["quantity"] ?? "") erpnext \($0["erpnext"] ?? "")"
        }
        return ArithmeticVector(name: name, actual: actual, expected: expected)
    }

    static func key(_ text: String) -> StockKey? {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        return parts.count == 2 ? StockKey(sku: parts[0], location: parts[1]) : nil
    }
}
