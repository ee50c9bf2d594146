public import StockroomCore

/// A scan as a scanner posts it, already checked for shape (see ``ScanAction``).
public struct ScanCommand: Hashable, Sendable {
    /// The scanner's id for this scan: the idempotency key, unique per device.
    public var scanID: String
    /// A barcode (GTIN) or a SKU.
    public var code: String
    /// What was posted: positive units, or for `adjust` a signed correction, or for
    /// `count` the units on the shelf.
    public var quantity: Int64
    public var action: ScanAction
    /// Defaults to the node's own location.
    public var location: String?
    public var device: String?

    public init(
        scanID: String, code: String, quantity: Int64, action: ScanAction, location: String? = nil,
        device: String? = nil
    ) {
        self.scanID = scanID
        self.code = code
        self.quantity = quantity
        self.action = action
        self.location = location
        self.device = device
    }
}

/// What a scan did. A retried scan gets its original result back with `replayed = true`.
public struct ScanResult: Hashable, Sendable {
    public var opID: OpID
    public var hlc: HLC
    public var sku: String
    public var location: String
    /// The cell's quantity right after this scan was applied.
    public var quantity: Int64
    public var action: ScanAction
    /// The signed change for a movement; the counted quantity for a count.
    public var change: Int64
    public var replayed: Bool
}

/// A batch that was refused because one of its scans was: nothing of the batch was kept.
public struct BatchItemError: Error, Sendable {
    public var index: Int
    public var underlying: any Error
}
