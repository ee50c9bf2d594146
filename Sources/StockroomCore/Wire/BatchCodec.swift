/// The binary, column-oriented encoding of a ``SyncBatch`` (sync-protocol/README.md,
/// section 5). Pure: compression happens around it, in the transport.
///
/// Columns rather than records, so that deflate sees long runs of similar values (the
/// same till, the same reason, seqs that step by one, timestamps a few ms apart).
public enum BatchCodec {
    public static let magic: [UInt8] = Array("SRB1".utf8)
    /// The newest batch version this node writes and reads. A batch is written as the
    /// lowest version that carries every op kind in it, so a store of an older release can
    /// read what it is sent.
    public static let version: UInt64 = 5
    public static let supportedVersions: ClosedRange<UInt64> = 1...5

    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        case notABatch
        case unsupportedVersion(UInt64)
        case malformed(String)

        public var description: String {
            switch self {
            case .notABatch: "the body is not a Stockroom sync batch (bad magic)"
            case .unsupportedVersion(let version): "batch version \(version) is not supported; this node speaks 1 to 5"
            case .malformed(let reason): "malformed batch: \(reason)"
            }
        }
    }

    // MARK: Encoding

    public static func encode(_ batch: SyncBatch) -> [UInt8] {
        var table = StringTable()
        for op in batch.ops { table.collect(op) }
        for (origin, _) in batch.coverage.sortedEntries { table.add(origin.rawValue) }
        table.sort()

        var out = ByteWriter(reservingCapacity: 64 + batch.ops.count * 24)
        out.raw(magic)
        let version = batch.ops.map(\.protocolVersion).max() ?? 1
        out.varint(UInt64(version))
        out.varint(batch.more ? 1 : 0)
        out.string(batch.node.rawValue)
        out.string(batch.epoch)
        out.varint(batch.cursor)
        out.varint(batch.coverage.entries.count)
        for (origin, seq) in batch.coverage.sortedEntries {
            out.string(origin.rawValue)
            out.varint(seq)
        }
        out.varint(table.strings.count)
        for string in table.strings { out.string(string) }
        out.varint(batch.ops.count)

        let ops = batch.ops
        for op in ops { out.varint(table.index(op.id.origin.rawValue)) }
        var lastSeq: [NodeID: UInt64] = [:]
        for op in ops {
            // Wrapping, never trapping: a seq past Int64.max (which no valid op has) encodes
            // as a step the decoder refuses.
            out.signed(Int64(bitPattern: op.id.seq &- (lastSeq[op.id.origin] ?? 0)))
            lastSeq[op.id.origin] = op.id.seq
        }
        var lastHLC: Int64 = 0
        for op in ops {
            out.signed(op.hlc.packed &- lastHLC)
            lastHLC = op.hlc.packed
        }
        for op in ops { out.varint(UInt64(op.payload.kind.rawValue)) }
        for op in ops { out.varint(table.index(op.actor)) }
        for op in ops { out.varint(op.device.map { table.index($0) + 1 } ?? 0) }
        var lastScanID: [String: [UInt8]] = [:]
        for op in ops {
            guard let scanID = op.scanID else {
                out.varint(0)
                continue
            }
            let bytes = Array(scanID.utf8)
            let previous = lastScanID[op.device ?? ""] ?? []
            let shared = zip(bytes, previous).prefix { $0 == $1 }.count
            out.varint(shared + 1)
            out.varint(bytes.count - shared)
            out.raw(bytes[shared...])
            lastScanID[op.device ?? ""] = bytes
        }
        for op in ops { out.varint(table.index(op.payload.sku)) }
        for op in ops { out.varint(op.payload.stockKey.map { table.index($0.location) + 1 } ?? 0) }
        for op in ops {
            switch op.payload {
            case .delta(_, let quantity, _): out.signed(quantity)
            case .count(_, let counted, _): out.signed(counted)
            case .unavailable(_, let quantity), .allowance(_, _, let quantity): out.signed(quantity)
            default: out.signed(0)
            }
        }
        for op in ops {
            if case .delta(_, _, let reason) = op.payload { out.varint(UInt64(reason.code)) } else { out.varint(0) }
        }
        for op in ops {
            switch op.payload {
            case .count(_, _, let context):
                out.varint(context.entries.count)
                for (origin, seq) in context.sortedEntries {
                    out.varint(table.index(origin.rawValue))
                    out.varint(seq)
                }
            case .itemCreate(_, let fields), .itemUpdate(_, let fields):
                out.varint(fields.count)
                for (field, value) in fields {
                    out.varint(UInt64(field.code))
                    encode(value, table: table, into: &out)
                }
            case .event(let event):
                encode(event, table: table, into: &out)
            case .allowance(_, let channel, _):
                out.varint(table.index(channel.rawValue))
            case .supplier(let assignment):
                out.varint(table.index(assignment.supplier))
                out.varint(table.index(plusOne: assignment.sku))
                out.varint(assignment.fields.count)
                for (field, value) in assignment.fields.sorted(by: { $0.key.code < $1.key.code }) {
                    out.varint(UInt64(field.code))
                    encode(value, table: table, into: &out)
                }
            case .setting(let setting):
                out.varint(UInt64(setting.namespace.rawValue))
                out.varint(table.index(setting.key))
                out.varint(table.index(plusOne: setting.value))
            case .allowancePolicy(let policy):
                out.varint(table.index(policy.scope.description))
                out.varint(table.index(policy.channel.rawValue))
                out.varint(UInt64(clamping: policy.sharePercent))
                out.varint(UInt64(clamping: policy.keep))
            default:
                break
            }
        }
        // Version 4: the business facts (section 12), flags then the values present.
        if version >= 4 {
            for op in ops {
                let facts = op.facts ?? OpFacts()
                out.varint(
                    (facts.occurredAt == nil ? 0 : 1) | (facts.unitCost == nil ? 0 : 2)
                        | (facts.unitPrice == nil ? 0 : 4))
                if let occurredAt = facts.occurredAt { out.varint(occurredAt) }
                if let cost = facts.unitCost { out.signed(cost) }
                if let price = facts.unitPrice { out.signed(price) }
            }
        }
        return out.bytes
    }

    /// A register value (section 5): tag 0 null, 1 int, 2 text, 3 texts.
    private static func encode(_ value: FieldValue, table: StringTable, into out: inout ByteWriter) {
        switch value {
        case .null: out.varint(0)
        case .int(let number):
            out.varint(1)
            out.signed(number)
        case .text(let text):
            out.varint(2)
            out.varint(table.index(text))
        case .texts(let texts):
            out.varint(3)
            out.varint(texts.count)
            for text in texts { out.varint(table.index(text)) }
        }
    }

    /// A document event in the `extra` column (section 5): kind, document, event, action,
    /// location, counterpart + 1, flags (bit 0 restock, bit 1 backorder), expires_at + 1, occurred_at + 1,
    /// note + 1, then its lines (sku, quantity, second, unit cost + 1 or 0).
    private static func encode(_ event: DocumentEvent, table: StringTable, into out: inout ByteWriter) {
        out.varint(UInt64(event.kind.code))
        out.varint(table.index(event.document))
        out.varint(table.index(event.event))
        out.varint(UInt64(event.action.code))
        out.varint(table.index(event.location))
        out.varint(table.index(plusOne: event.counterpart))
        out.varint((event.restock ? 1 : 0) | (event.backorder ? 2 : 0))
        out.varint(event.expiresAt.map { $0 &+ 1 } ?? 0)
        out.varint(event.occurredAt.map { $0 &+ 1 } ?? 0)
        out.varint(table.index(plusOne: event.note))
        out.varint(event.lines.count)
        for line in event.lines {
            out.varint(table.index(line.sku))
            out.signed(line.quantity)
            out.signed(line.second)
            if let cost = line.unitCost {
                out.varint(1)
                out.signed(cost)
            } else {
                out.varint(0)
            }
        }
    }

    /// Strings of a batch. Sorted before use: neighbouring SKUs share long prefixes,
    /// which deflate turns into back-references (8.4 → 7.9 bytes per sale on the wire).
    private struct StringTable {
        var strings: [String] = []
        var indexes: [String: Int] = [:]

        mutating func sort() {
            strings.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, string) in strings.enumerated() { indexes[string] = index }
        }

        mutating func add(_ string: String) {
            if indexes[string] == nil {
                indexes[string] = strings.count
                strings.append(string)
            }
        }

        func index(_ string: String) -> Int { indexes[string]! }
        func index(plusOne string: String?) -> Int { string.map { index($0) + 1 } ?? 0 }

        mutating func add(_ value: FieldValue) {
            if case .text(let text) = value { add(text) }
            if case .texts(let texts) = value { texts.forEach { add($0) } }
        }

        mutating func collect(_ op: Op) {
            add(op.id.origin.rawValue)
            add(op.actor)
            if let device = op.device { add(device) }
            add(op.payload.sku)
            switch op.payload {
            case .delta(let key, _, _): add(key.location)
            case .count(let key, _, let context):
                add(key.location)
                for origin in context.entries.keys { add(origin.rawValue) }
            case .itemCreate(_, let fields), .itemUpdate(_, let fields):
                for (_, value) in fields { add(value) }
            case .itemDelete: break
            case .unavailable(let key, _): add(key.location)
            case .allowance(let key, let channel, _):
                add(key.location)
                add(channel.rawValue)
            case .supplier(let assignment):
                add(assignment.supplier)
                if let sku = assignment.sku { add(sku) }
                // Every text a value holds, lists too: a decoded supplier field may be a list
                // (fuzzing found it), and a text left out of the table traps in `index`.
                for (_, value) in assignment.fields { add(value) }
            case .setting(let setting):
                add(setting.key)
                if let value = setting.value { add(value) }
            case .allowancePolicy(let policy):
                add(policy.scope.description)
                add(policy.channel.rawValue)
            case .event(let event):
                add(event.document)
                add(event.event)
                add(event.location)
                if let counterpart = event.counterpart { add(counterpart) }
                if let note = event.note { add(note) }
                for line in event.lines { add(line.sku) }
            }
        }
    }
}
