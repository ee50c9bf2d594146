import Foundation
import Hummingbird
import NIOCore
import StockroomCore

/// Reads and decodes request bodies with a size limit and operator-readable errors.
enum RequestDecoding {
    /// Shared: decoding does not mutate the decoder, and making one per request shows up
    /// in the scan path's profile.
    static let decoder = JSONDecoder()

    /// Collects at most `limit` bytes; throws 413 past that, before decoding anything.
    ///
    /// Refuses before reading a byte: a `Content-Encoding` (415: bodies are taken as sent;
    /// a sync batch carries its own bounded compression, and an ignored gzip would be
    /// decoded as garbage) and a declared `Content-Length` over the limit (413 at once, so
    /// a client waiting on `Expect: 100-continue` is answered instead of left hanging).
    static func body(_ request: Request, limit: Int) async throws -> ByteBuffer {
        var collected: ByteBuffer?
        try await forEachChunk(of: request, limit: limit) { chunk in
            if collected == nil {
                collected = chunk  // the usual case, one chunk: no copy
            } else {
                var chunk = chunk
                collected!.writeBuffer(&chunk)
            }
        }
        return collected ?? ByteBuffer()
    }

    /// Writes the body to a new file at `path` as it arrives, for bodies too large to hold
    /// in memory (a movement history of millions of rows). Same limits and deadline as
    /// ``body(_:limit:)``; the file is removed when this throws.
    static func spool(_ request: Request, limit: Int, to path: String) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw APIError(.internalServerError, "spool_failed", "cannot write a temporary file in the data folder")
        }
        do {
            try await forEachChunk(of: request, limit: limit) { chunk in
                try handle.write(contentsOf: chunk.readableBytesView)
            }
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Hands over the body's chunks, refusing a body over `limit` bytes or one that does
    /// not arrive before its deadline.
    private static func forEachChunk(
        of request: Request, limit: Int, _ body: (ByteBuffer) throws -> Void
    ) async throws {
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw APIError(
                .unsupportedMediaType, "unsupported_content_encoding",
                "Content-Encoding '\(encoding.prefix(40))' is not accepted; send the body uncompressed")
        }
        if let declared = request.headers[.contentLength], let length = Int(declared), length > limit {
            throw tooLarge(limit)
        }
        // A body that trickles in (a byte just inside the idle timeout) would hold its
        // connection for ever (finding 13 of issue #11): the whole body has a deadline,
        // checked as each chunk arrives (a stalled client meets the idle timeout instead).
        let deadline = ContinuousClock.now + (limit > BodyLimits.batch ? largeBodyDeadline : bodyDeadline)
        var received = 0
        do {
            for try await chunk in request.body {
                guard ContinuousClock.now < deadline else {
                    var error = APIError(
                        .requestTimeout, "request_timeout",
                        "the request body did not arrive in time; send the whole body at once")
                    error.headers[.connection] = "close"
                    throw error
                }
                received += chunk.readableBytes
                guard received <= limit else { throw tooLarge(limit) }
                try body(chunk)
            }
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        }
    }

    /// How long a JSON or batch body may take to arrive in full: twice the idle timeout
    /// (60 s by default). Set once by ``buildApplication(configuration:store:metrics:logger:sync:onServerRunning:)``
    /// for the process (one node per process; tests that build several keep the default).
    nonisolated(unsafe) static var bodyDeadline: Duration = .seconds(60)
    /// The same for a catalogue CSV (up to 256 MiB on a slow store link).
    static let largeBodyDeadline: Duration = .seconds(900)

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large", "the request body is over \(limit) bytes; send less per request")
    }

    /// Decodes JSON; a syntax error is `malformed_json`, a wrong shape `invalid_request`
    /// naming the field.
    static func json<T: Decodable>(
        _ type: T.Type, from request: Request, limit: Int = BodyLimits.json
    ) async throws -> T {
        let buffer = try await body(request, limit: limit)
        do {
            let value = try decoder.decode(T.self, from: Data(buffer: buffer))
            if let key = buffer.withUnsafeReadableBytes({ JSONDuplicateKeys.first(in: $0) }) {
                throw APIError.badRequest("field '\(key.prefix(64))' appears twice in one object; send it once")
            }
            return value
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let parsed = try? JSONSerialization.jsonObject(with: Data(buffer: buffer), options: [.fragmentsAllowed])
            {
                // Valid JSON that did not decode with no field named: either not an object,
                // or (Foundation names no field for these) a number that is not a whole
                // number in range.
                guard parsed is [String: Any] else { throw APIError.badRequest("the body must be a JSON object") }
                throw APIError.badRequest(
                    "a number in the body is not a whole number in range (\(context.debugDescription.prefix(120)))")
            }
            if case .typeMismatch(_, let context) = error, context.codingPath.isEmpty {
                throw APIError.badRequest("the body must be a JSON object")
            }
            throw describe(error)
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("missing field '\(field)'")
        case .typeMismatch(let type, let context):
            return .badRequest("field '\(path(context.codingPath))' must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .badRequest("field '\(path(context.codingPath))' must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return APIError(.badRequest, "malformed_json", "the body is not valid JSON")
            }
            return .badRequest("field '\(path(context.codingPath))': \(context.debugDescription)")
        @unknown default:
            return APIError(.badRequest, "malformed_json", "the body could not be decoded")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type, is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [String].Type: "an array of strings"
        default: "of type \(type)"
        }
    }
}

/// Query-string helpers with 400s that name the parameter.
extension Request {
    func queryInt(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = uri.queryParameters[name[...]] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest(
                "query parameter '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func queryString(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    func queryBool(_ name: String) throws -> Bool {
        guard let text = queryString(name) else { return false }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("query parameter '\(name)' must be true or false")
        }
    }
}
