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
    /// The document this scan fulfils or receives against, if any.
    public var reference: DocumentKey?
    /// When the scan happened, for a device that held it while offline (business time,
    /// section 12.1); nil: when it is written.
    public var occurredAt: UInt64?

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
