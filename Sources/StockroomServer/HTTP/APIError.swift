import Foundation
public import Hummingbird
import NIOCore
import StockroomStore

/// An error as the API returns it: `{"error": {"code", "message"}}` with a fitting status.
///
/// `code` is stable and machine-readable; `message` tells the operator what to do next.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// For a batch: which element was refused. For an import: every problem found.
    public var index: Int?
    public var problems: [String]?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, index: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.index = index
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var index: Int?
            var problems: [String]?
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(
            Body(error: .init(code: code, message: message, index: index, problems: problems)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }

    /// The API's reading of a store error.
    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .unknownCode: APIError(.notFound, "unknown_code", error.description)
        case .badCheckDigit: APIError(.unprocessableContent, "bad_check_digit", error.description)
        case .duplicateSKU: APIError(.conflict, "duplicate_sku", error.description)
        case .barcodeInUse: APIError(.conflict, "barcode_in_use", error.description)
        case .codeInUse: APIError(.conflict, "code_in_use", error.description)
        case .busy: APIError(.serviceUnavailable, "database_busy", error.description)
        case .fieldPinned: APIError(.conflict, "field_pinned", error.description)
        case .scanIDReused: APIError(.conflict, "scan_id_reused", error.description)
        case .invalid(let field, _):
            APIError(.unprocessableContent, field == "qty" ? "invalid_quantity" : "invalid_value", error.description)
        case .storageUnavailable: APIError(.serviceUnavailable, "storage_unavailable", error.description)
        case .nodeMismatch: APIError(.internalServerError, "node_mismatch", error.description)
        case .roleMismatch: APIError(.internalServerError, "role_mismatch", error.description)
        case .corrupt: APIError(.internalServerError, "corrupt_data", error.description)
        case .unknownToken: APIError(.notFound, "unknown_token", error.description)
        case .sequenceGap: APIError(.unprocessableContent, "sequence_gap", error.description)
        case .schemaNewer: APIError(.internalServerError, "schema_newer", error.description)
        case .recovering: APIError(.serviceUnavailable, "recovering", error.description)
        }
    }
}
