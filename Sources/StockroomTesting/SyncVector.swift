import Foundation
public import StockroomCore

/// A case of sync-protocol/vectors: input ops and the state the merge rules give.
public struct SyncVector: Sendable {
    public var name: String
    public var ops: [Op]
    public var stock: [StockKey: Int64]
    public var items: [String: [ItemField: FieldValue]]
    public var concurrentCounts: Set<ConcurrentCountPair>
    public var negative: Set<StockKey>
    /// Section 10 expectations, for the cells and documents a case names (see
    /// write_vectors.py): at time `now`.
    public var now: UInt64 = 0
    public var states: [StockKey: [String: Int64]] = [:]
    public var documents: [String: (status: String, lines: [String: [Int64]])] = [:]
    public var issues: Set<String> = []
    public var rights: [StockKey: [String: [String: Int64]]] = [:]
    public var policies: [String: [Int64]] = [:]
    public var costs: [StockKey: [Int64]] = [:]
    public var suppliers: [String: [SupplierField: FieldValue]]?
    /// Section 11: setting registers that hold a value, by `namespace/key`.
    public var settings: [String: String]?

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// sync-protocol/vectors, found from this file's location in the repository.
    public static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sync-protocol/vectors").path
    }

    /// Every case under `root`, sorted by name.
    public static func all(root: String = root) throws -> [SyncVector] {
        let manager = FileManager.default
        var vectors: [SyncVector] = []
        for area in try manager.contentsOfDirectory(atPath: root).sorted() {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: root + "/" + area, isDirectory: &isDirectory), isDirectory.boolValue else {
                continue
            }
            for name in try manager.contentsOfDirectory(atPath: root + "/" + area).sorted() {
                // Arithmetic cases of section 11 (case.json) are ArithmeticVector's.
                if manager.fileExists(atPath: root + "/" + area + "/" + name + "/case.json") { continue }
                vectors.append(try load(root + "/" + area + "/" + name, name: area + "/" + name))
            }
        }
        return vectors
    }

    /// Interleavings of the ops: shuffled across origins, each origin's ops in seq order.
    public func interleaving(using generator: inout SeededGenerator) -> [Op] {
        var queues = Dictionary(grouping: ops, by: \.id.origin).mapValues { $0.sorted { $0.id.seq < $1.id.seq } }
        var result: [Op] = []
        while !queues.isEmpty {
            let origin = queues.keys.sorted()[Int.random(in: 0..<queues.count, using: &generator)]
            result.append(queues[origin]!.removeFirst())
            if queues[origin]!.isEmpty { queues[origin] = nil }
        }
        return result
    }

    static func load(_ folder: String, name: String) throws -> SyncVector {
        func json(_ file: String) throws -> Any {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)))
        }
        guard let opsJSON = try json("ops.json") as? [[String: Any]],
            let expected = try json("expected.json") as? [String: Any]
        else { throw LoadError(description: "\(name): unreadable") }
        let ops = try opsJSON.map { try op($0, vector: name) }
        var stock: [StockKey: Int64] = [:]
        for (cell, quantity) in expected["stock"] as? [String: Int] ?? [:] { stock[try key(cell)] = Int64(quantity) }
        var items: [String: [ItemField: FieldValue]] = [:]
        for (sku, fields) in expected["items"] as? [String: [String: Any]] ?? [:] {
            items[sku] = try assignments(fields, vector: name).values
        }
        let pairs = (expected["concurrent_counts"] as? [[String]] ?? []).compactMap { pair -> ConcurrentCountPair? in
            guard pair.count == 2, let winner = OpID(pair[0]), let loser = OpID(pair[1]) else { return nil }
            return ConcurrentCountPair(winner: winner, loser: loser)
        }
        let negative = try (expected["negative"] as? [String] ?? []).map(key)
        var vector = SyncVector(
            name: name, ops: ops, stock: stock, items: items, concurrentCounts: Set(pairs), negative: Set(negative))
        vector.now = UInt64(expected["now"] as? Int ?? 0)
        for (cell, values) in expected["states"] as? [String: [String: Int]] ?? [:] {
            vector.states[try key(cell)] = values.mapValues(Int64.init)
        }
        for (document, value) in expected["documents"] as? [String: [String: Any]] ?? [:] {
            let lines = (value["lines"] as? [String: [Int]] ?? [:]).mapValues { $0.map(Int64.init) }
            vector.documents[document] = (value["status"] as? String ?? "", lines)
        }
        vector.issues = Set(expected["issues"] as? [String] ?? [])
        for (cell, channels) in expected["rights"] as? [String: [String: [String: Int]]] ?? [:] {
            vector.rights[try key(cell)] = channels.mapValues { $0.mapValues(Int64.init) }
        }
        vector.policies = (expected["policies"] as? [String: [Int]] ?? [:]).mapValues { $0.map(Int64.init) }
        if let settings = expected["settings"] as? [String: String] { vector.settings = settings }
        if let suppliers = expected["suppliers"] as? [String: [String: Any]] {
            vector.suppliers = try suppliers.mapValues { try supplierFields($0, vector: name) }
        }
        for (cell, value) in expected["costs"] as? [String: [Int]] ?? [:] {
            vector.costs[try key(cell)] = value.map(Int64.init)
        }
        return vector
    }

    static func key(_ text: String) throws -> StockKey {
        let parts = text.split(separator: "@", maxSplits: 1)
        guard parts.count == 2 else { throw LoadError(description: "bad cell \(text)") }
        return StockKey(sku: String(parts[0]), location: String(parts[1]))
    }

    static func op(_ json: [String: Any], vector: String) throws -> Op {
        guard let id = (json["id"] as? String).flatMap(OpID.init), let millis = json["hlc"] as? Int,
            let kind = json["kind"] as? String
        else { throw LoadError(description: "\(vector): bad op \(json)") }
        let sku = json["sku"] as? String ?? ""
        let hlc = HLC(millis: UInt64(millis), logical: UInt16(json["logical"] as? Int ?? 0))
        let location = json["location"] as? String ?? ""
        let payload: OpPayload
        switch kind {
        case "delta":
            guard let reason = StockReason(rawValue: json["reason"] as? String ?? "") else {
                throw LoadError(description: "\(vector): bad reason")
            }
            payload = .delta(
                StockKey(sku: sku, location: location), quantity: Int64(json["quantity"] as? Int ?? 0), reason: reason)
        case "count":
            var context = VersionVector()
            for (origin, seq) in json["context"] as? [String: Int] ?? [:] { context[NodeID(origin)!] = UInt64(seq) }
            payload = .count(
                StockKey(sku: sku, location: location), counted: Int64(json["counted"] as? Int ?? 0), context: context)
        case "item_create":
            payload = .itemCreate(
                sku: sku, fields: try assignments(json["fields"] as? [String: Any] ?? [:], vector: vector))
        case "item_update":
            payload = .itemUpdate(
                sku: sku, fields: try assignments(json["fields"] as? [String: Any] ?? [:], vector: vector))
        case "item_delete": payload = .itemDelete(sku: sku)
        case "event":
            let data = try JSONSerialization.data(withJSONObject: json["event"] ?? [:])
            do {
                payload = .event(try JSONDecoder().decode(DocumentEvent.self, from: data))
            } catch {
                throw LoadError(description: "\(vector): bad event \(error)")
            }
        case "unavailable":
            payload = .unavailable(
                StockKey(sku: sku, location: location), quantity: Int64(json["quantity"] as? Int ?? 0))
        case "allowance":
            guard let channel = NodeID(json["channel"] as? String ?? "") else {
                throw LoadError(description: "\(vector): bad channel")
            }
            payload = .allowance(
                StockKey(sku: sku, location: location), channel: channel, quantity: Int64(json["quantity"] as? Int ?? 0)
            )
        case "setting":
            guard let namespace = SettingNamespace(name: json["namespace"] as? String ?? "") else {
                throw LoadError(description: "\(vector): unknown setting namespace")
            }
            payload = .setting(
                Setting(namespace: namespace, key: json["key"] as? String ?? "", value: json["value"] as? String))
        case "supplier":
            payload = .supplier(
                SupplierAssignment(
                    supplier: json["supplier"] as? String ?? "", sku: json["sku"] as? String,
                    fields: try supplierFields(json["fields"] as? [String: Any] ?? [:], vector: vector)))
        case "allowance_policy":
            guard let scope = AllowancePolicy.Scope(json["scope"] as? String ?? ""),
                let channel = NodeID(json["channel"] as? String ?? "")
            else { throw LoadError(description: "\(vector): bad policy") }
            payload = .allowancePolicy(
                AllowancePolicy(
                    scope: scope, channel: channel, sharePercent: Int64(json["share_percent"] as? Int ?? 0),
                    keep: Int64(json["keep"] as? Int ?? 0)))
        default: throw LoadError(description: "\(vector): unknown kind \(kind)")
        }
        return Op(id: id, hlc: hlc, actor: "vector", payload: payload)
    }

    static func supplierFields(_ json: [String: Any], vector: String) throws -> [SupplierField: FieldValue] {
        var fields: [SupplierField: FieldValue] = [:]
        for (name, value) in json {
            guard let field = SupplierField(rawValue: name) else {
                throw LoadError(description: "\(vector): unknown supplier field \(name)")
            }
            switch value {
            case is NSNull: fields[field] = .null
            case let text as String: fields[field] = .text(text)
            case let number as Int: fields[field] = .int(Int64(number))
            default: throw LoadError(description: "\(vector): bad value for \(name)")
            }
        }
        return fields
    }

    static func assignments(_ json: [String: Any], vector: String) throws -> FieldAssignments {
        var fields = FieldAssignments()
        for (name, value) in json {
            guard let field = ItemField(rawValue: name) else {
                throw LoadError(description: "\(vector): unknown field \(name)")
            }
            switch value {
            case is NSNull: fields[field] = .null
            case let texts as [String]: fields[field] = .texts(texts)
            case let text as String: fields[field] = .text(text)
            case let number as Int: fields[field] = .int(Int64(number))
            default: throw LoadError(description: "\(vector): bad value for \(name)")
            }
        }
        return fields
    }
}

extension SyncVector {
    /// Where `snapshot` (and the document issues found beside it, as "code kind/id sku
    /// open|resolved") differs from the section-10 expectations of this case.
    public func section10Mismatches(_ snapshot: ReplicaSnapshot, issues found: Set<String>) -> [String] {
        var problems: [String] = []
        for (key, expected) in states {
            let states = snapshot.states(of: key, now: now)
            let actual: [String: Int64] = [
                "on_hand": states.onHand, "committed": states.committed, "held": states.held,
                "unavailable": states.unavailable, "incoming": states.incoming, "in_transit": states.inTransit,
                "available": states.available, "projected": states.projected,
            ]
            if actual != expected { problems.append("states of \(key): \(actual) ≠ \(expected)") }
        }
        for (name, expected) in documents {
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            guard let kind = DocumentKind(rawValue: parts[0]),
                let document = snapshot.documents[DocumentKey(kind: kind, id: parts[1])]
            else {
                problems.append("document \(name) is missing")
                continue
            }
            let lines = Dictionary(
                uniqueKeysWithValues: document.lines.map { ($0.sku, [$0.quantity, $0.done, $0.received, $0.second]) })
            if document.status.rawValue != expected.status || lines != expected.lines {
                problems.append(
                    "document \(name): \(document.status.rawValue) \(lines) ≠ \(expected.status) \(expected.lines)")
            }
        }
        if found != issues { problems.append("issues \(found.sorted()) ≠ \(issues.sorted())") }
        for (key, channels) in rights {
            let ledger = snapshot.ledger(of: key, now: now)
            let available = snapshot.states(of: key, now: now).available
            for (name, expected) in channels {
                let channel = NodeID(name)!
                let owner = SyncInterest.isLocation(key.location, of: channel)
                var actual: [String: Int64] = [
                    "may_promise": owner
                        ? ledger.ownerFree(owner: channel, available: available) : ledger.free(of: channel)
                ]
                if !owner {
                    actual["granted"] = ledger.granted[channel] ?? 0
                    actual["promised"] = ledger.promised[channel] ?? 0
                }
                if actual != expected { problems.append("rights of \(name) at \(key): \(actual) ≠ \(expected)") }
            }
        }
        for (key, expected) in costs {
            let cost = snapshot.costs[key] ?? CellCost()
            if [cost.units, cost.totalCents] != expected { problems.append("cost at \(key): \(cost) ≠ \(expected)") }
        }
        if let settings, snapshot.settings != settings {
            problems.append("settings \(snapshot.settings) ≠ \(settings)")
        }
        if let suppliers, snapshot.suppliers != suppliers {
            problems.append("suppliers \(snapshot.suppliers) ≠ \(suppliers)")
        }
        if !policies.isEmpty {
            let actual = snapshot.policies.mapValues { [$0.sharePercent, $0.keep] }
            if actual != policies { problems.append("policies \(actual) ≠ \(policies)") }
        }
        return problems
    }
}
