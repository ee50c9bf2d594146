import GRDB
public import StockroomCore

extension StockroomStore {
    /// Records one scan and returns the cell's new quantity.
    ///
    /// Idempotent per (device, scan id): a retry returns the original result and writes
    /// nothing. Durable when it returns. Throws ``StoreError`` for an unknown code, a bad
    /// check digit, a reused scan id or an unwritable disk; nothing is written then.
    public func recordScan(_ command: ScanCommand, actor: String) async throws -> ScanResult {
        try await groupWriter.submit { db, context in
            try Self.scan(command, actor: actor, db: db, context: &context)
        }
    }

    /// Records many scans in one transaction: all of them, or none.
    ///
    /// Each scan is idempotent as in ``recordScan(_:actor:)``, so a retried batch, or a
    /// batch that repeats a scan already recorded, replays those scans' results.
    /// Throws ``BatchItemError`` naming the first scan that was refused.
    public func recordScans(_ commands: [ScanCommand], actor: String) async throws -> [ScanResult] {
        try await groupWriter.submit { db, context in
            try commands.enumerated().map { index, command in
                do {
                    return try Self.scan(command, actor: actor, db: db, context: &context)
                } catch {
                    throw BatchItemError(index: index, underlying: GroupCommitWriter.translate(error))
                }
            }
        }
    }

    static func scan(
        _ command: ScanCommand, actor: String, db: Database, context: inout WriteContext
    ) throws
        -> ScanResult
    {
        let change: Int64
        switch command.action.signedQuantity(command.quantity) {
        case .success(let value): change = value
        case .failure(let error): throw StoreError.invalid(field: "qty", message: error.message)
        }
        if let previous = try previousScan(command, context: context, db: db) {
            return previous
        }
        let sku = try resolveSKU(command.code, db: db)
        let key = StockKey(sku: sku, location: command.location ?? context.nodeID.rawValue)
        let payload: OpPayload =
            switch command.action {
            case .count: .count(key, counted: change, context: context.knowledge)
            case .move(let reason): .delta(key, quantity: change, reason: reason)
            }
        let (op, outcome) = try OpApplier.appendLocal(
            payload, actor: actor, device: command.device, scanID: command.scanID, recordResult: true,
            facts: command.occurredAt.map { OpFacts(occurredAt: $0) }, in: db, context: &context)
        return ScanResult(
            opID: op.id, hlc: op.hlc, sku: sku, location: key.location, quantity: outcome.quantity ?? 0,
            action: command.action, change: change, replayed: false)
    }

    /// The original result when this device already sent this scan id; throws when the id
    /// was used for a different scan.
    private static func previousScan(
        _ command: ScanCommand, context: WriteContext, db: Database
    ) throws
        -> ScanResult?
    {
        let statement = try HotStatement(
            db,
            """
            SELECT seq, hlc, kind, sku, location, quantity, reason, result_quantity FROM ops
            WHERE origin = ? AND device = ? AND scan_id = ?
            """)
        statement.bind(1, context.nodeID.rawValue)
        statement.bind(2, command.device ?? "")
        statement.bind(3, command.scanID)
        guard
            let row = try statement.fetchFirst({ row in
                (
                    seq: row.int64(0), hlc: row.int64(1), kind: row.int64(2), sku: row.text(3), location: row.text(4),
                    change: row.int64(5), reason: row.optionalInt64(6), result: row.optionalInt64(7)
                )
            })
        else { return nil }
        let kind = OpKind(rawValue: UInt8(row.kind))
        let reason = row.reason.flatMap { StockReason(code: UInt8($0)) }
        let action: ScanAction? =
            switch kind {
            case .count: .count
            case .delta: reason.map { .move($0) }
            default: nil
            }
        let (change, location, sku) = (row.change, row.location, row.sku)
        let sameSKU = (try? resolveSKU(command.code, db: db)).map { $0 == sku } ?? true
        guard action == command.action, (try? command.action.signedQuantity(command.quantity).get()) == change,
            command.location.map({ $0 == location }) ?? true, sameSKU
        else { throw StoreError.scanIDReused(command.scanID) }
        return ScanResult(
            opID: OpID(origin: context.nodeID, seq: UInt64(row.seq)), hlc: HLC(packed: row.hlc), sku: sku,
            location: location, quantity: row.result ?? 0, action: command.action, change: change, replayed: true)
    }

    /// A barcode (any GTIN form) or a SKU to the live item it names.
    ///
    /// When two live items claim one barcode (possible after a merge), the one whose
    /// barcode list was written last, by (hlc, origin), wins: the same answer on every node.
    static func resolveSKU(_ code: String, db: Database) throws -> String {
        if let canonical = GTIN.canonical(code) {
            let byBarcode = try HotStatement(
                db,
                """
                SELECT b.sku FROM barcodes b JOIN items i ON i.sku = b.sku AND i.alive = 1
                WHERE b.code = ? ORDER BY b.hlc DESC, b.origin DESC LIMIT 1
                """)
            byBarcode.bind(1, canonical)
            if let sku = try byBarcode.fetchFirst({ $0.text(0) }) { return sku }
        }
        let bySKU = try HotStatement(db, "SELECT 1 FROM items WHERE sku = ? AND alive = 1")
        bySKU.bind(1, code)
        if try bySKU.fetchFirst({ _ in true }) != nil { return code }
        if GTIN.looksLikeGTIN(code) && !GTIN.isValid(code) { throw StoreError.badCheckDigit(code) }
        // A node getting its history back has no catalogue yet: say that, not "unknown".
        if let reason = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'recovering'") {
            throw StoreError.recovering(reason: reason)
        }
        throw StoreError.unknownCode(code)
    }
}
