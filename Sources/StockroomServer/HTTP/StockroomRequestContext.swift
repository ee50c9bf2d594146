public import Foundation
public import Hummingbird
import NIOCore
public import StockroomStore

/// Per-request state: who is calling (set by ``AuthMiddleware``).
public struct StockroomRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// On dashboard pages: the session's CSRF token, put into every form the page renders.
    var webCSRF: String?
    /// On dashboard POSTs: the form fields, parsed once by ``WebAuthMiddleware``.
    var form: [String: String] = [:]
    /// The connection, so an answer that must end it (a body cut off at its deadline) can.
    let channel: any Channel

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Request bodies are read with explicit limits in each route (see ``BodyLimits``).
    public var maxUploadSize: Int { BodyLimits.json }

    /// One shared encoder: configuring a new one per request costs more than the encoding.
    /// Response types spell their snake_case keys in `CodingKeys` rather than using
    /// `.convertToSnakeCase`, which converts every key of every response again.
    public var responseEncoder: JSONEncoder { Self.sharedEncoder }

    static let sharedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

/// The largest request bodies accepted, by kind. Past these, 413 and nothing is read.
public enum BodyLimits {
    /// One scan or one catalogue edit.
    public static let json = 64 * 1024
    /// A batch of scans (up to `ScanBatchInput.maxScans`).
    public static let batch = 2 * 1024 * 1024
    /// A catalogue CSV.
    public static let catalogCSV = 256 * 1024 * 1024
    /// A movement history CSV, spooled to disk as it arrives (5,000,000 rows are ~400 MB).
    public static let historyCSV = 2 * 1024 * 1024 * 1024
}

extension StockroomRequestContext {
    /// A path parameter, percent-decoded: a SKU may hold characters a client must encode
    /// in a URL (space, `/`, `'`, `%`…), and the router hands them over still encoded.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}
