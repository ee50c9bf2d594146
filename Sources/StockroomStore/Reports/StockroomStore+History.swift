import Foundation
import GRDB
public import StockroomCore

/// What a history import did.
public struct HistoryImportSummary: Hashable, Sendable, Codable {
    /// Data rows in the file.
    public var rows: Int
    /// Rows written as new ops.
    public var written: Int
    /// Rows already in the log from an earlier import of the same movements.
    public var alreadyImported: Int
    /// The earliest and latest business time in the file (ms), if any row.
    public var from: UInt64?
    public var to: UInt64?

    enum CodingKeys: String, CodingKey {
        case rows, written, from, to
        case alreadyImported = "already_imported"
    }
}

/// Where a history import is, for a progress line.
public struct HistoryImportProgress: Sendable {
    public enum Phase: String, Sendable { case checking, writing }
    public var phase: Phase
    public var rows: Int
    public var total: Int?
    public var bytes: Int
    public var totalBytes: Int
}

extension StockroomStore {
    /// How many problems a refused file lists; the count says how many there were.
    public static let maxListedProblems = 1000
    /// Rows written per transaction: bounded memory and a short hold on the writer, so
    /// scans keep flowing while five million rows go in.
    static let historyChunk = 5000

    /// Imports a movement history CSV (``HistoryCSV``): every row becomes a delta or count
    /// carrying its business time (section 12), written by this node.
    ///
    /// Streams the file twice in 1 MiB pieces, so memory stays bounded whatever its size:
    /// the first pass checks every row (shape, a time not in the future, a reason and a
    /// quantity it allows, a live SKU, a location this node may write) and refuses the
    /// file whole, listing up to ``maxListedProblems`` problems by line, before anything is
    /// written; the second writes in transactions of ``historyChunk`` rows.
    ///
    /// Idempotent: each row's key (``HistoryRow/key(occurrence:)``) is its op's scan id,
    /// so importing the same file again writes nothing, and a crash mid-import is finished
    /// by importing again. Each transaction is durable when the next one starts.
    ///
    /// A count row covers every op this node held when it was written (rule S2), so
    /// import history before the store starts counting and scanning, or its counts reset
    /// the cells they name.
    ///
    /// - Throws: ``CatalogCSV/Problems`` for a refused file; ``StoreError`` when the file
    ///   cannot be read.
    public func importHistory(
        file path: String, actor: String, progress: (@Sendable (HistoryImportProgress) -> Void)? = nil
    ) async throws -> HistoryImportSummary {
        let liveSKUs = try await read { db in
            Set(try String.fetchAll(db, sql: "SELECT sku FROM items WHERE alive = 1"))
        }
        let policy = writeContext.localLocations
        let now = wallMillis()
        var summary = HistoryImportSummary(rows: 0, written: 0, alreadyImported: 0)
        var problems: [CatalogCSV.Problem] = []
        var problemCount = 0
        func note(_ problem: CatalogCSV.Problem) {
            problemCount += 1
            if problems.count < Self.maxListedProblems { problems.append(problem) }
        }
        var checking = try HistoryFileReader(path: path, now: now)
        while let batch = try checking.next(maxRows: Self.historyChunk) {
            for checked in batch {
                switch checked {
                case .invalid(let problem): note(problem)
                case .valid(let row):
                    summary.rows += 1
                    summary.from = min(summary.from ?? row.occurredAt, row.occurredAt)
                    summary.to = max(summary.to ?? row.occurredAt, row.occurredAt)
                    if !liveSKUs.contains(row.sku) {
                        note(
                            .init(
                                line: row.line, message: "no live item has SKU '\(row.sku)'; import the catalogue first"
                            ))
                    } else if !policy.permits(row.location) {
                        note(.init(line: row.line, message: "this node may not write stock at '\(row.location)'"))
                    }
                }
            }
            progress?(checking.progress(.checking, rows: summary.rows, total: nil))
        }
        if problemCount > 0 {
            if problemCount > problems.count {
                problems.append(
                    .init(line: 0, message: "and \(problemCount - problems.count) more problems not listed"))
            }
            throw CatalogCSV.Problems(problems)
        }
        guard summary.rows > 0 else { return summary }

        var writing = try HistoryFileReader(path: path, now: now)
        var previous: HistoryRow?
        var occurrence = 1
        var done = 0
        while let batch = try writing.next(maxRows: Self.historyChunk) {
            var rows: [(row: HistoryRow, key: String)] = []
            rows.reserveCapacity(batch.count)
            for case .valid(let row) in batch {
                if let previous, row.isSameMovement(as: previous) { occurrence += 1 } else { occurrence = 1 }
                previous = row
                rows.append((row, row.key(occurrence: occurrence)))
            }
            let chunk = rows
            let written = try await groupWriter.submit { db, context -> Int in
                var written = 0
                let held = try db.cachedStatement(
                    sql: "SELECT 1 FROM ops WHERE origin = ? AND device = ? AND scan_id = ?")
                for (row, key) in chunk {
                    let device = row.device ?? "history"
                    if try Bool.fetchOne(held, arguments: [context.nodeID.rawValue, device, key]) == true { continue }
                    _ = try OpApplier.appendLocal(
                        row.payload(countContext: context.knowledge), actor: row.actor ?? actor, device: device,
                        scanID: key, facts: row.facts, in: db, context: &context)
                    written += 1
                }
                return written
            }
            summary.written += written
            summary.alreadyImported += rows.count - written
            done += rows.count
            progress?(writing.progress(.writing, rows: done, total: summary.rows))
        }
        return summary
    }
}

/// Reads a history file in 1 MiB pieces and hands over checked rows in batches; memory
/// is one piece and one batch.
struct HistoryFileReader {
    private let handle: FileHandle
    private let totalBytes: Int
    private var bytesRead = 0
    private var stream = CSVStream()
    private var header: HistoryCSV.Header?
    private var finished = false
    private var pending: [HistoryCSV.Checked] = []
    private let now: UInt64

    init(path: String, now: UInt64) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.invalid(field: "file", message: "cannot read \(path)")
        }
        self.handle = handle
        self.totalBytes = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        self.now = now
    }

    /// The next batch of at least `maxRows` checked rows (fewer at the end), or nil after
    /// the last. A bad header throws ``CatalogCSV/Problems``; a CSV syntax error becomes a
    /// problem on its line.
    mutating func next(maxRows: Int) throws -> [HistoryCSV.Checked]? {
        while pending.count < maxRows, !finished {
            let piece = handle.readData(ofLength: 1 << 20)
            bytesRead += piece.count
            var stream = self.stream
            defer { self.stream = stream }
            do {
                if piece.isEmpty {
                    finished = true
                    try stream.finish { line, fields in try take(line, fields) }
                    try handle.close()
                } else {
                    try stream.feed(piece) { line, fields in try take(line, fields) }
                }
            } catch let error as CSVReader.ParseError {
                pending.append(.invalid(CatalogCSV.Problem(line: error.line, message: error.message)))
                finished = true
            }
        }
        if finished, header == nil, pending.isEmpty {
            throw CatalogCSV.Problems([CatalogCSV.Problem(line: 1, message: "the file is empty")])
        }
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    private mutating func take(_ line: Int, _ fields: [String]) throws {
        guard let header else {
            header = try HistoryCSV.Header(fields)
            return
        }
        pending.append(header.row(fields, line: line, now: now))
    }

    func progress(_ phase: HistoryImportProgress.Phase, rows: Int, total: Int?) -> HistoryImportProgress {
        HistoryImportProgress(phase: phase, rows: rows, total: total, bytes: bytesRead, totalBytes: totalBytes)
    }
}
