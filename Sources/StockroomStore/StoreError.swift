import Foundation

/// Why a store operation was refused. Every case leaves the database unchanged.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No item (and no barcode) matches the scanned or requested code.
    case unknownCode(String)
    /// The code has the shape of a GTIN but its check digit is wrong: a misread.
    case badCheckDigit(String)
    /// An item with this SKU already exists and is not deleted.
    case duplicateSKU(String)
    /// Another live item already carries this barcode.
    case barcodeInUse(code: String, sku: String)
    /// The code is another live item's SKU or barcode (one lookup space).
    case codeInUse(code: String, sku: String)
    /// A local edit lost to a register stamped ahead of this node's clock (rule T1/V6).
    case fieldPinned(field: String, sku: String, untilMillis: UInt64)
    /// Another process holds the database's write lock past the busy timeout.
    case busy
    /// The scan id was already used by this device for a different scan.
    case scanIDReused(String)
    /// A field value failed validation.
    case invalid(field: String, message: String)
    /// The disk is full or read-only: writes fail, reads keep working.
    case storageUnavailable(String)
    /// The data folder belongs to another node id.
    case nodeMismatch(stored: String, requested: String)
    /// The data folder was made for another role (edge or hub).
    case roleMismatch(stored: String, requested: String)
    /// A row holds a value of the wrong type (written before validation existed, or by
    /// hand): reported instead of trapping; `stockroom check` lists it.
    case corrupt(String)
    /// A token id that does not exist.
    case unknownToken(String)
    /// A peer's ops skip a seq: applying them would leave a hole in the origin's log.
    case sequenceGap(origin: String, expected: UInt64, got: UInt64)
    /// The database was migrated by a newer stockroom (schema `found`); this binary knows
    /// up to `known`. Nothing was changed.
    case schemaNewer(found: String, known: String)
    /// This node's folder was empty or restored from a backup, and it has not yet got its
    /// own history back from its hub (sync-protocol section 15.1): a local op now could
    /// reuse a seq the hub already holds. Nothing was written.
    case recovering(reason: String)

    public var description: String {
        switch self {
        case .unknownCode(let code): "no item has the SKU or barcode '\(code)'"
        case .badCheckDigit(let code): "'\(code)' looks like a GTIN barcode but its check digit is wrong (misread?)"
        case .duplicateSKU(let sku): "an item with SKU '\(sku)' already exists"
        case .barcodeInUse(let code, let sku): "barcode '\(code)' already belongs to item '\(sku)'"
        case .codeInUse(let code, let sku):
            "'\(code)' already names item '\(sku)' (as its SKU or barcode); a scan of it must find one item"
        case .fieldPinned(let field, let sku, let until):
            "\(field) of '\(sku)' was last set by an op stamped ahead of this node's clock (a store with a wrong clock; see the clock_clamped conflict); it can be changed after \(Date(timeIntervalSince1970: Double(until) / 1000).formatted(.iso8601)), or fix that store's clock"
        case .busy:
            "the database is busy: another process (an import or an admin command) holds it; retry in a moment"
        case .scanIDReused(let id):
            "scan id '\(id)' was already used by this device for a different scan; send a new id for a new scan"
        case .invalid(let field, let message): "\(field): \(message)"
        case .storageUnavailable(let reason): "the database cannot be written: \(reason)"
        case .nodeMismatch(let stored, let requested):
            "this data folder belongs to node '\(stored)', not '\(requested)'; use --node \(stored) or another --data folder"
        case .roleMismatch(let stored, let requested):
            "this data folder belongs to a node of role '\(stored)', not '\(requested)'; start it with --role \(stored), or use another --data folder"
        case .corrupt(let what):
            "the database holds a bad value: \(what); run 'stockroom check' (and '--repair' with the daemon stopped)"
        case .unknownToken(let id): "no token with id '\(id)'"
        case .sequenceGap(let origin, let expected, let got):
            "ops of origin '\(origin)' must continue at seq \(expected), got \(got); resend from \(expected)"
        case .schemaNewer(let found, let known):
            "this data folder was written by a newer stockroom (its schema has \(found); this binary knows up to \(known)): install that version or newer; nothing was changed"
        case .recovering(let reason):
            "this node is getting its own history back from its hub (\(reason)); writes resume as soon as one sync round with the hub completes. If this lasts, check the hub link with 'stockroom status'"
        }
    }
}
