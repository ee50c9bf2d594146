import ArgumentParser
import Foundation
import StockroomCore
import StockroomSync
import StockroomTesting

/// Bytes per op on the wire for a stream of sales, in Stockroom's format, and the same
/// stream exported as JSON lines and TSV for the baselines in bench/baselines.
struct SyncSize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-size", abstract: "Bytes per sale on the wire, and the stream exported for the baselines.")

    @OptionGroup var output: BenchOutput
    @Option(help: "Sales in the stream.") var ops = 100_000
    @Option(help: "The stream's seed.") var seed: UInt64 = 42
    @Option(help: "Write the stream as JSON lines here (one op per line, as a JSON sync would send it).")
    var jsonl: String?
    @Option(help: "Write the stream as TSV here (sku, location, delta, device, scan id, hlc).") var tsv: String?

    func run() throws {
        let node = NodeID("store-042")!
        let stream = SaleStream.ops(count: ops, seed: seed, origin: node)
        func wireBytes(batch: Int) -> Int {
            stride(from: 0, to: stream.count, by: batch).reduce(0) { total, start in
                total
                    + WireCompression.wire(
                        SyncBatch(node: node, ops: Array(stream[start..<min(start + batch, stream.count)]))
                    ).count
            }
        }
        let ofThousand = wireBytes(batch: 1000)
        let ofProtocolBatch = wireBytes(batch: SyncClient.pushBatch)
        if let jsonl {
            var text = ""
            for op in stream {
                guard case .delta(let key, let quantity, let reason) = op.payload else { continue }
                let record: [String: Any] = [
                    "origin": op.id.origin.rawValue, "seq": op.id.seq, "hlc": op.hlc.packed, "actor": op.actor,
                    "device": op.device ?? "", "scan_id": op.scanID ?? "", "kind": "delta", "sku": key.sku,
                    "location": key.location, "quantity": quantity, "reason": reason.rawValue,
                ]
                text += String(
                    decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
                text += "\n"
            }
            try text.write(toFile: jsonl, atomically: true, encoding: .utf8)
        }
        if let tsv {
            var text = ""
            for op in stream {
                guard case .delta(let key, let quantity, _) = op.payload else { continue }
                text +=
                    "\(key.sku)\t\(key.location)\t\(quantity)\t\(op.device ?? "-")\t\(op.scanID ?? "-")\t\(op.hlc.packed)\n"
            }
            try text.write(toFile: tsv, atomically: true, encoding: .utf8)
        }
        print(
            String(
                format: "stockroom wire: %.2f bytes/op in batches of 1,000, %.2f in batches of %d",
                Double(ofThousand) / Double(ops), Double(ofProtocolBatch) / Double(ops), SyncClient.pushBatch))
        try output.write([
            "ops": ops, "seed": seed, "bytes_batches_of_1000": ofThousand,
            "bytes_per_op_batches_of_1000": Double(ofThousand) / Double(ops),
            "protocol_batch": SyncClient.pushBatch, "bytes_protocol_batches": ofProtocolBatch,
            "bytes_per_op_protocol_batches": Double(ofProtocolBatch) / Double(ops),
        ])
    }
}
