import CompressNIO
import Crypto
import NIOCore
public import StockroomCore

/// Raw deflate (RFC 1951) around encoded batches, with a hard bound on what a body may
/// inflate to, so a small hostile body cannot make a node allocate gigabytes (a zip bomb).
public enum WireCompression {
    /// Section 6 of sync-protocol/README.md.
    public static let maxCompressedBytes = 16 << 20
    public static let maxDecompressedBytes = 64 << 20

    public enum Failure: Error, Equatable, Sendable {
        /// The body inflates past ``maxDecompressedBytes`` (or the given limit).
        case decompressedTooLarge(limit: Int)
        /// Not valid deflate data.
        case corrupt
    }

    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        // Compression of an in-memory buffer fails only on allocation failure.
        let compressed = try! buffer.compress(with: .deflate())
        return Array(compressed.readableBytesView)
    }

    /// Inflates `bytes`, stopping with ``Failure/decompressedTooLarge(limit:)`` as soon as
    /// the output would pass `limit`: the limit is enforced while inflating, not after.
    ///
    /// Inflates in 256 KiB chunks and counts them, rather than relying on which error the
    /// library raises at a size limit (it varies with where the limit falls).
    public static func decompress(_ bytes: [UInt8], limit: Int = maxDecompressedBytes) throws(Failure) -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        var chunk = ByteBufferAllocator().buffer(capacity: 256 << 10)
        var output: [UInt8] = []
        let decompressor = CompressionAlgorithm.deflate().decompressor
        do {
            try decompressor.startStream()
            defer { try? decompressor.finishStream() }
            while true {
                do {
                    try input.decompressStream(to: &chunk, with: decompressor)
                    guard output.count + chunk.readableBytes <= limit else {
                        throw Failure.decompressedTooLarge(limit: limit)
                    }
                    output += chunk.readableBytesView
                    return output
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    guard output.count + chunk.readableBytes <= limit else {
                        throw Failure.decompressedTooLarge(limit: limit)
                    }
                    output += chunk.readableBytesView
                    chunk.clear()
                }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .corrupt
        }
    }

    /// Encodes and compresses a batch: what goes on the wire.
    public static func wire(_ batch: SyncBatch) -> [UInt8] { compress(BatchCodec.encode(batch)) }

    /// The header that carries ``digest(_:)`` of a batch body's encoded (inflated) bytes,
    /// on every pull answer and push (sync-protocol section 5.1). Raw deflate has no
    /// checksum of its own, so without it a body damaged on the way could inflate to other
    /// bytes that still decode.
    public static let digestHeader = "Stockroom-Content-SHA256"

    /// SHA-256 of `raw`, lower-case hex.
    public static func digest(_ raw: [UInt8]) -> String {
        SHA256.hash(data: raw).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// A batch for the wire and the digest of its encoded bytes.
    public static func wireWithDigest(_ batch: SyncBatch) -> (body: [UInt8], digest: String) {
        let raw = BatchCodec.encode(batch)
        return (compress(raw), digest(raw))
    }

    /// Nil when `raw` matches the `sent` digest or none was sent; else what is wrong.
    public static func digestMismatch(_ raw: [UInt8], sent: String?) -> String? {
        guard let sent else { return nil }
        let actual = digest(raw)
        return actual == sent.lowercased()
            ? nil
            : "the body's SHA-256 is \(actual.prefix(12))…, the sender said \(sent.prefix(12))…: damaged on the way"
    }

    /// Inflates (bounded) and decodes a batch from the wire.
    public static func batch(fromWire bytes: [UInt8]) throws -> SyncBatch {
        try BatchCodec.decode(try decompress(bytes))
    }
}
