/// A scan as posted to `POST /v1/scans`, before its rules are checked. `id` may be a
/// string or an integer (scanners differ).
///
/// Decoding checks only JSON types; ``command()`` checks the rest. Both are pure and are
/// fuzzed (Tests/Fuzz/FuzzScanJSON.swift).
public struct ScanInput: Decodable, Hashable, Sendable {
    public var id: String
    public var code: String
    public var qty: Int64
    public var reason: String
    public var location: String?
    public var device: String?
    /// A document the scan is against: `order:ID`, `transfer:ID` or `po:ID` (section 10.2).
    public var ref: String?
    /// When a device that was offline made the scan (ISO-8601); absent: now.
    public var occurredAt: String?

    enum CodingKeys: String, CodingKey {
        case id, code, qty, reason, location, device, ref
        case occurredAt = "occurred_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // String first: it is what most scanners send, and a failed attempt builds and
        // throws a DecodingError, which showed in the batch endpoint's profile.
        if let text = try? container.decode(String.self, forKey: .id) {
            id = text
        } else {
            id = String(try container.decode(Int64.self, forKey: .id))
        }
        code = try container.decode(String.self, forKey: .code)
        qty = try container.decode(Int64.self, forKey: .qty)
        reason = try container.decode(String.self, forKey: .reason)
        location = try container.decodeIfPresent(String.self, forKey: .location)
        device = try container.decodeIfPresent(String.self, forKey: .device)
        ref = try container.decodeIfPresent(String.self, forKey: .ref)
        occurredAt = try container.decodeIfPresent(String.self, forKey: .occurredAt)
    }

    /// The scan as a command, or why not.
    ///
    /// - Throws: ``InputError`` `invalid_value` (an identifier that is not 1-64 printable
    ///   ASCII characters), `unknown_reason`, or `invalid_quantity`. Never anything else.
    public func command() throws(InputError) -> ScanCommand {
        for (name, value) in [("id", id), ("code", code), ("location", location), ("device", device)] {
            if let value, let problem = InputRules.identifierProblem(value, name: name) {
                throw InputError("invalid_value", problem)
            }
        }
        guard let action = ScanAction(reason: reason) else {
            throw InputError(
                "unknown_reason", "reason '\(reason)' is not one of: \(ScanAction.names.joined(separator: ", "))")
        }
        if case .failure(let problem) = action.signedQuantity(qty) {
            throw InputError("invalid_quantity", problem.message)
        }
        var command = ScanCommand(
            scanID: id, code: code, quantity: qty, action: action, location: location, device: device)
        if let ref {
            command.reference = try Self.reference(ref, action: action)
        }
        if let occurredAt {
            // Its bounds (not before 2000, not after the op is written) are rule V14's.
            guard let millis = ISODate.millis(occurredAt), occurredAt.utf8.count > 10 else {
                throw InputError(
                    "invalid_value", "occurred_at must be an ISO-8601 time like 2026-03-01T14:05:00Z")
            }
            command.occurredAt = millis
        }
        return command
    }

    /// `order:ID` with reason `sale` (fulfils), `transfer:ID` with `receive` or `transfer`
    /// (receives at the destination), `po:ID` with `receive` (receives at the dock).
    static func reference(_ text: String, action: ScanAction) throws(InputError) -> DocumentKey {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kinds: [String: DocumentKind] = ["order": .order, "transfer": .transfer, "po": .purchaseOrder]
        guard parts.count == 2, let kind = kinds[parts[0]], DocumentRules.isDocumentID(parts[1]) else {
            throw InputError("invalid_value", "ref must be order:ID, transfer:ID or po:ID")
        }
        let fits =
            switch (kind, action) {
            case (.order, .move(.sale)), (.transfer, .move(.receive)), (.transfer, .move(.transfer)),
                (.purchaseOrder, .move(.receive)):
                true
            default: false
            }
        guard fits else {
            throw InputError(
                "invalid_value", "a scan against an order is a sale; against a transfer or PO, a receive")
        }
        return DocumentKey(kind: kind, id: parts[1])
    }
}

/// `POST /v1/scans/batch`: up to ``maxScans`` scans recorded together or not at all.
public struct ScanBatchInput: Decodable, Hashable, Sendable {
    public static let maxScans = 1000

    public var scans: [ScanInput]

    /// Every scan as a command, or the first scan's error with its index.
    ///
    /// - Throws: ``InputError`` `invalid_batch` for an empty or oversized batch, or the
    ///   first invalid scan's error with `index` set. Nothing else.
    public func commands() throws(InputError) -> [ScanCommand] {
        guard !scans.isEmpty, scans.count <= Self.maxScans else {
            throw InputError("invalid_batch", "a batch holds 1 to \(Self.maxScans) scans; split larger ones")
        }
        var commands: [ScanCommand] = []
        commands.reserveCapacity(scans.count)
        for (index, scan) in scans.enumerated() {
            do throws(InputError) {
                let command = try scan.command()
                guard command.reference == nil else {
                    throw InputError("invalid_value", "send scans against a document (ref) one at a time to /v1/scans")
                }
                commands.append(command)
            } catch {
                throw InputError(
                    error.code,
                    "scan \(index) of the batch: \(error.message); nothing of the batch was recorded",
                    index: index)
            }
        }
        return commands
    }
}
