/// Something the merge rules resolved that an operator should see.
public enum ConflictKind: String, CaseIterable, Sendable {
    /// Rule S4: a cell went below zero (for example two offline stores sold the last unit).
    case oversell
    /// Rule S3: two counts of one cell were made concurrently; the lower (hlc, origin) lost.
    case concurrentCount = "concurrent_count"
    /// Rule T1: a peer's timestamp was too far in the future and the clock was clamped.
    case clockClamped = "clock_clamped"
    /// Rule B1: two live items list the same barcode (possible after a merge of edits made
    /// apart); scans resolve to the later barcode list, and the operator should fix one.
    case barcodeShared = "barcode_shared"
    /// An op arrived again with an id this node holds but a different content: the same
    /// (origin, seq) cannot mean two things, so a peer is lying or corrupt. The held op
    /// stays; the conflict says who sent what.
    case opMismatch = "op_mismatch"
    /// A document needs a person (section 10.5): a transfer that arrived short, over or
    /// damaged (`transfer_discrepancy`, open until resolved with a note), an order fulfilled
    /// beyond its lines (`over_fulfilled`), a document opened on two nodes
    /// (`document_reopened`), one event id recorded on two nodes (`duplicate_event`).
    case transferDiscrepancy = "transfer_discrepancy"
    case overFulfilled = "over_fulfilled"
    case documentReopened = "document_reopened"
    case duplicateEvent = "duplicate_event"
    /// Rule S6: available went below zero: units promised to orders and holds are not there
    /// (a till sale ate into them, or stores merged).
    case promisedOversold = "promised_oversold"
}
