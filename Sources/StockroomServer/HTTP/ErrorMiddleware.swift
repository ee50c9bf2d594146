public import Hummingbird
import Logging
import NIOHTTP1
import StockroomCore
import StockroomNotify
import StockroomStore

/// Turns every error into the API's JSON error shape, so a client never has to parse two
/// formats: store errors keep their meaning, Hummingbird's own errors (404 route, 413
/// body) keep their status, and anything unexpected becomes a 500 whose details go to the
/// log, not to the client.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders an error as a page for a browser (the web dashboard's); nil: JSON always.
    let htmlPage: (@Sendable (APIError, Request) -> Response)?

    public init(htmlPage: (@Sendable (APIError, Request) -> Response)? = nil) { self.htmlPage = htmlPage }

    /// A browser asking for a page outside `/v1` (an unknown path) gets the error as HTML.
    func wantsPage(_ request: Request) -> Bool {
        htmlPage != nil && !request.uri.path.hasPrefix("/v1/") && request.uri.path != "/metrics"
            && request.headers[.accept]?.contains("text/html") == true
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if error.status == .requestTimeout, let channel = (context as? StockroomRequestContext)?.channel {
                // The rest of a body cut off at its deadline is not read: end the connection
                // once the answer is out, or a client trickling on would hold it.
                channel.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
            }
            if wantsPage(request), let htmlPage { return htmlPage(error, request) }
            return try error.response(from: request, context: context)
        } catch {
            let apiError = Self.apiError(for: error, context: context)
            if wantsPage(request), let htmlPage { return htmlPage(apiError, request) }
            return try apiError.response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            return APIError.from(error)
        case let error as InputError:
            return APIError(.unprocessableContent, error.code, error.message, index: error.index)
        case let error as OpViolation:
            // One mapping for every entry point (scan, item edit, push): the op's rule.
            return error.rule == .location
                ? APIError(.forbidden, "location_not_permitted", error.description, index: error.index)
                : APIError(.unprocessableContent, "invalid_op", error.description, index: error.index)
        case let error as NotificationTest.Refused:
            return APIError(
                error.code == "not_configured" ? .conflict : .unprocessableContent, error.code, error.description)
        case let error as DocumentRefusal:
            let status: HTTPResponse.Status =
                switch error.code {
                case .invalid, .notOnDocument, .expiryInPast, .unknownSKU, .unknownSupplier: .unprocessableContent
                case .unknownDocument: .notFound
                default: .conflict
                }
            return APIError(status, error.code.rawValue, error.message)
        case let error as SyncRefusal:
            switch error {
            case .foreignOrigin: return APIError(.forbidden, "foreign_origin", error.description)
            }
        case let error as BatchItemError:
            var mapped = apiError(for: error.underlying, context: context)
            mapped.index = error.index
            mapped.message = "scan \(error.index) of the batch: \(mapped.message); nothing of the batch was recorded"
            return mapped
        case let error as HTTPError:
            let code: String =
                switch error.status {
                case .notFound: "not_found"
                case .contentTooLarge: "body_too_large"
                case .methodNotAllowed: "method_not_allowed"
                case .badRequest: "invalid_request"
                case .unauthorized: "unauthorized"
                default: "http_\(error.status.code)"
                }
            let message =
                switch error.status {
                case .notFound: "no such route; see the API overview in the README"
                case .contentTooLarge: "the request body is larger than this endpoint accepts"
                default: error.body ?? error.status.reasonPhrase
                }
            return APIError(error.status, code, message)
        case let error as HTTPParserError:
            // A client that hung up mid-body, or bytes that are not HTTP/1.1: the client's
            // problem (and its connection is usually gone), not the node's.
            context.logger.info("bad or truncated request", metadata: ["error": "\(error)"])
            return APIError(
                .badRequest, "invalid_request", "the request ended early or is not valid HTTP/1.1 (\(error))")
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "internal", "an internal error occurred; the node's log has details")
        }
    }
}
