public import StockroomCore

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
