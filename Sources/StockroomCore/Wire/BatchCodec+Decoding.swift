extension BatchCodec {
    /// Decodes and validates a batch. Throws on anything a correct encoder cannot
    /// produce: unknown magic or version, truncation, out-of-range indexes, seqs of one
    /// origin that do not increase, invalid kinds, reasons or fields, leftover bytes.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> SyncBatch {
        var reader = ByteReader(bytes)
        do {
            return try decode(&reader)
        } catch let failure as ByteReader.Failure {
            switch failure {
            case .truncated: throw .malformed("truncated at byte \(reader.offset)")
            case .overlong: throw .malformed("a varint is too long at byte \(reader.offset)")
            case .invalid(let reason): throw .malformed(reason)
            }
        } catch let error as DecodingError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    private static func decode(_ reader: inout ByteReader) throws -> SyncBatch {
        guard reader.remaining >= 4, Array(try reader.raw(count: 4)) == magic else { throw DecodingError.notABatch }
        let version = try reader.varint()
        guard supportedVersions.contains(version) else { throw DecodingError.unsupportedVersion(version) }
        let flags = try reader.varint()
        guard flags <= 1 else { throw DecodingError.malformed("unknown flags \(flags)") }
        let node = try nodeID(try reader.string(maxBytes: 64))
        let epoch = try reader.string(maxBytes: 64)
        let cursor = try position(try reader.varint(), "cursor")
        var coverage = VersionVector()
        for _ in 0..<(try reader.count(atMost: reader.remaining / 2)) {
            let origin = try nodeID(try reader.string(maxBytes: 64))
            coverage[origin] = try position(try reader.varint(), "coverage seq")
        }
        // Every count below is checked against the bytes that remain *and* a fixed cap
        // before anything is allocated: an empty string is one byte on the wire but a
        // 16-byte String in memory, so "count <= remaining" alone let 64 KiB of deflate
        // declare 63 Mi strings and allocate a gigabyte.
        let stringCount = try reader.count(atMost: min(reader.remaining, SyncBatch.maxStrings))
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try reader.string()) }
        func string(_ index: Int) throws -> String {
            guard index < strings.count else { throw DecodingError.malformed("string index \(index) out of range") }
            return strings[index]
        }
        let count = try reader.count(atMost: min(SyncBatch.maxOps, reader.remaining))

        var origins: [NodeID] = []
        for _ in 0..<count { origins.append(try nodeID(try string(try reader.count(atMost: strings.count)))) }
        var seqs: [UInt64] = []
        var lastSeq: [NodeID: UInt64] = [:]
        for origin in origins {
            let step = try reader.signed()
            guard step > 0 else { throw DecodingError.malformed("seqs of origin \(origin) do not increase") }
            let (seq, overflow) = (lastSeq[origin] ?? 0).addingReportingOverflow(UInt64(step))
            guard !overflow, seq <= UInt64(Int64.max) else { throw DecodingError.malformed("seq out of range") }
            lastSeq[origin] = seq
            seqs.append(seq)
        }
        var hlcs: [HLC] = []
        var lastHLC: Int64 = 0
        for _ in 0..<count {
            lastHLC = lastHLC &+ (try reader.signed())
            guard let hlc = HLC(validatingPacked: lastHLC), hlc.millis < (1 << 47) else {
                throw DecodingError.malformed("timestamp out of range")
            }
            hlcs.append(hlc)
        }
        var kinds: [OpKind] = []
        for _ in 0..<count {
            let code = try reader.varint()
            guard let kind = OpKind(rawValue: UInt8(clamping: code)), code <= 255,
                UInt64(kind.protocolVersion) <= version
            else {
                throw DecodingError.malformed("unknown op kind \(code) in a version \(version) batch")
            }
            kinds.append(kind)
        }
        var actors: [String] = []
        for _ in 0..<count { actors.append(try string(try reader.count(atMost: strings.count))) }
        var devices: [String?] = []
        for _ in 0..<count {
            let index = try reader.count(atMost: strings.count)
            devices.append(index == 0 ? nil : try string(index - 1))
        }
        var scanIDs: [String?] = []
        var lastScanID: [String: [UInt8]] = [:]
        for device in devices {
            let marker = try reader.count(atMost: 1 + InputRules.maxIdentifierLength)
            guard marker > 0 else {
                scanIDs.append(nil)
                continue
            }
            let previous = lastScanID[device ?? ""] ?? []
            let shared = marker - 1
            guard shared <= previous.count else { throw DecodingError.malformed("scan id prefix out of range") }
            let suffix = try reader.raw(count: try reader.count(atMost: InputRules.maxIdentifierLength))
            let bytes = Array(previous.prefix(shared)) + suffix
            guard let text = String(validating: bytes, as: UTF8.self), InputRules.isIdentifier(text) else {
                throw DecodingError.malformed("invalid scan id")
            }
            lastScanID[device ?? ""] = bytes
            scanIDs.append(text)
        }
        var skus: [String] = []
        for _ in 0..<count { skus.append(try string(try reader.count(atMost: strings.count))) }
        var locations: [String?] = []
        for _ in 0..<count {
            let index = try reader.count(atMost: strings.count)
            locations.append(index == 0 ? nil : try string(index - 1))
        }
        var quantities: [Int64] = []
        for _ in 0..<count { quantities.append(try reader.signed()) }
        var reasons: [UInt64] = []
        for _ in 0..<count { reasons.append(try reader.varint()) }

        var ops: [Op] = []
        ops.reserveCapacity(count)
        var contextEntries = 0
        for index in 0..<count {
            let sku = skus[index]
            guard
                [.event, .allowancePolicy, .supplier, .setting].contains(kinds[index]) || InputRules.isIdentifier(sku)
            else {
                throw DecodingError.malformed("invalid sku")
            }
            let payload: OpPayload
            switch kinds[index] {
            case .delta, .count:
                guard let location = locations[index], InputRules.isIdentifier(location) else {
                    throw DecodingError.malformed("a stock op without a valid location")
                }
                let key = StockKey(sku: sku, location: location)
                if kinds[index] == .delta {
                    guard let reason = StockReason(code: UInt8(clamping: reasons[index])), reasons[index] <= 255 else {
                        throw DecodingError.malformed("unknown reason \(reasons[index])")
                    }
                    payload = .delta(key, quantity: quantities[index], reason: reason)
                } else {
                    var context = VersionVector()
                    let entries = try reader.count(atMost: min(reader.remaining / 2, strings.count))
                    contextEntries += entries
                    guard contextEntries <= SyncBatch.maxContextEntries else {
                        throw DecodingError.malformed(
                            "the counts' contexts hold more than \(SyncBatch.maxContextEntries) entries")
                    }
                    for _ in 0..<entries {
                        let origin = try nodeID(try string(try reader.count(atMost: strings.count)))
                        context[origin] = try position(try reader.varint(), "context seq")
                    }
                    payload = .count(key, counted: quantities[index], context: context)
                }
            case .itemCreate, .itemUpdate:
                var fields = FieldAssignments()
                for _ in 0..<(try reader.count(atMost: ItemField.allCases.count)) {
                    let code = try reader.varint()
                    guard code <= 255, let field = ItemField(code: UInt8(code)) else {
                        throw DecodingError.malformed("unknown field \(code)")
                    }
                    fields[field] = try decodeValue(&reader, strings: strings.count, string: string)
                }
                payload =
                    kinds[index] == .itemCreate
                    ? .itemCreate(sku: sku, fields: fields) : .itemUpdate(sku: sku, fields: fields)
            case .itemDelete:
                payload = .itemDelete(sku: sku)
            case .unavailable:
                guard let location = locations[index], InputRules.isIdentifier(location) else {
                    throw DecodingError.malformed("a stock op without a valid location")
                }
                payload = .unavailable(StockKey(sku: sku, location: location), quantity: quantities[index])
            case .event:
                payload = .event(try decodeEvent(&reader, string: string))
            case .allowance:
                guard let location = locations[index], InputRules.isIdentifier(location) else {
                    throw DecodingError.malformed("a stock op without a valid location")
                }
                let channel = try nodeID(try string(try reader.count(atMost: strings.count)))
                payload = .allowance(
                    StockKey(sku: sku, location: location), channel: channel, quantity: quantities[index])
            case .supplier:
                let supplier = try string(try reader.count(atMost: strings.count))
                let skuIndex = try reader.count(atMost: strings.count)
                var fields: [SupplierField: FieldValue] = [:]
                for _ in 0..<(try reader.count(atMost: SupplierField.allCases.count)) {
                    guard let field = SupplierField(code: try reader.varint()) else {
                        throw DecodingError.malformed("unknown supplier field")
                    }
                    fields[field] = try decodeValue(&reader, strings: strings.count, string: string)
                }
                payload = .supplier(
                    SupplierAssignment(
                        supplier: supplier, sku: skuIndex == 0 ? nil : try string(skuIndex - 1), fields: fields))
            case .setting:
                let code = try reader.varint()
                guard code <= 255, let namespace = SettingNamespace(rawValue: UInt8(code)),
                    UInt64(namespace.protocolVersion) <= version
                else {
                    throw DecodingError.malformed("unknown setting namespace \(code)")
                }
                let key = try string(try reader.count(atMost: strings.count))
                let valueIndex = try reader.count(atMost: strings.count)
                payload = .setting(
                    Setting(namespace: namespace, key: key, value: valueIndex == 0 ? nil : try string(valueIndex - 1)))
            case .allowancePolicy:
                let scopeText = try string(try reader.count(atMost: strings.count))
                guard let scope = AllowancePolicy.Scope(scopeText) else {
                    throw DecodingError.malformed("bad policy scope")
                }
                let channel = try nodeID(try string(try reader.count(atMost: strings.count)))
                let share = try reader.varint()
                let keep = try reader.varint()
                guard share <= 100, keep <= UInt64(InputRules.maxQuantity) else {
                    throw DecodingError.malformed("policy share or keep out of range")
                }
                payload = .allowancePolicy(
                    AllowancePolicy(scope: scope, channel: channel, sharePercent: Int64(share), keep: Int64(keep)))
            }
            ops.append(
                Op(
                    id: OpID(origin: origins[index], seq: seqs[index]), hlc: hlcs[index], actor: actors[index],
                    device: devices[index], scanID: scanIDs[index], payload: payload))
        }
        if version >= 4 {
            for index in ops.indices {
                let flags = try reader.varint()
                guard flags <= 7 else { throw DecodingError.malformed("unknown fact flags \(flags)") }
                guard flags != 0 else { continue }
                var facts = OpFacts()
                if flags & 1 != 0 {
                    let occurredAt = try reader.varint()
                    guard occurredAt < (1 << 47) else { throw DecodingError.malformed("occurred_at out of range") }
                    facts.occurredAt = occurredAt
                }
                if flags & 2 != 0 { facts.unitCost = try reader.signed() }
                if flags & 4 != 0 { facts.unitPrice = try reader.signed() }
                ops[index].facts = facts
            }
        }
        guard reader.isAtEnd else { throw DecodingError.malformed("\(reader.remaining) bytes left over") }
        return SyncBatch(node: node, epoch: epoch, cursor: cursor, more: flags & 1 == 1, coverage: coverage, ops: ops)
    }

    /// A register value (section 5): tag 0 null, 1 int, 2 text, 3 texts.
    private static func decodeValue(
        _ reader: inout ByteReader, strings: Int, string: (Int) throws -> String
    ) throws
        -> FieldValue
    {
        switch try reader.varint() {
        case 0: return .null
        case 1: return .int(try reader.signed())
        case 2: return .text(try string(try reader.count(atMost: strings)))
        case 3:
            var texts: [String] = []
            for _ in 0..<(try reader.count(atMost: InputRules.maxBarcodesPerItem)) {
                texts.append(try string(try reader.count(atMost: strings)))
            }
            return .texts(texts)
        case let tag: throw DecodingError.malformed("unknown value tag \(tag)")
        }
    }

    /// The `extra` of an event op (section 5); ids are checked by rule V10 afterwards.
    private static func decodeEvent(
        _ reader: inout ByteReader, string: (Int) throws -> String
    ) throws
        -> DocumentEvent
    {
        guard let kind = DocumentKind(code: try reader.varint()) else {
            throw DecodingError.malformed("unknown document kind")
        }
        let document = try string(try reader.count(atMost: Int.max))
        let eventID = try string(try reader.count(atMost: Int.max))
        guard let action = DocumentAction(code: try reader.varint()) else {
            throw DecodingError.malformed("unknown document action")
        }
        let location = try string(try reader.count(atMost: Int.max))
        func optional() throws -> String? {
            let index = try reader.count(atMost: Int.max)
            return index == 0 ? nil : try string(index - 1)
        }
        let counterpart = try optional()
        let flags = try reader.varint()
        guard flags <= 3 else { throw DecodingError.malformed("unknown event flags \(flags)") }
        func time() throws -> UInt64? {
            let value = try reader.varint()
            guard value == 0 || value - 1 < (1 << 47) else { throw DecodingError.malformed("event time out of range") }
            return value == 0 ? nil : value - 1
        }
        let expiresAt = try time()
        let occurredAt = try time()
        let note = try optional()
        var lines: [DocumentLine] = []
        for _ in 0..<(try reader.count(atMost: min(DocumentRules.maxLines, reader.remaining))) {
            let sku = try string(try reader.count(atMost: Int.max))
            let quantity = try reader.signed()
            let second = try reader.signed()
            let cost: Int64? =
                switch try reader.varint() {
                case 0: nil
                case 1: try reader.signed()
                case let tag: throw DecodingError.malformed("unknown unit cost tag \(tag)")
                }
            lines.append(DocumentLine(sku: sku, quantity: quantity, second: second, unitCost: cost))
        }
        return DocumentEvent(
            kind: kind, document: document, event: eventID, action: action, location: location,
            counterpart: counterpart, lines: lines, restock: flags & 1 == 1, backorder: flags & 2 == 2,
            expiresAt: expiresAt,
            occurredAt: occurredAt, note: note)
    }

    /// Seqs, cursors and lsns are stored as SQLite integers: anything past `Int64.max` is
    /// refused here, at the boundary, instead of trapping in a conversion later.
    private static func position(_ value: UInt64, _ what: String) throws -> UInt64 {
        guard value <= UInt64(Int64.max) else { throw DecodingError.malformed("\(what) \(value) is out of range") }
        return value
    }

    private static func nodeID(_ text: String) throws -> NodeID {
        guard let id = NodeID(text) else { throw DecodingError.malformed("invalid node id '\(text.prefix(64))'") }
        return id
    }
}
