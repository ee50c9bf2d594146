import Foundation
import NIOCore
import NIOHTTP1

/// Answers a request that is not valid HTTP/1.1 (NIO's parser refused it: a header over the
/// size limit, a NUL byte in a header, thousands of headers, a 200 KB query string, a
/// malformed `Content-Length`) with the API's JSON error instead of an empty 400 (finding
/// 20 of issue #11), then closes the connection: after a parse error the stream cannot be
/// trusted to resume at a request boundary.
///
/// Sits after the HTTP codec (Hummingbird's `additionalChannelHandlers`). The answer is
/// written as raw bytes from the response encoder's place in the pipeline, because no
/// request was decoded for the codecs above it to pair it with; the error is not passed
/// on, so Hummingbird does not write its own empty 400 as well.
final class ParserErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let message =
            switch parserError {
            case .headerOverflow: "the request's headers are too large or too many; send fewer, shorter headers"
            case .invalidHeaderToken, .invalidCharactersUsed:
                "a header holds a character HTTP does not allow (a NUL or control byte)"
            case .invalidContentLength, .unexpectedContentLength: "the Content-Length header is not a valid length"
            case .invalidURL: "the request line's path is not valid (or is too long)"
            default: "the request is not valid HTTP/1.1 (\(parserError))"
            }
        let body = #"{"error":{"code":"invalid_request","message":"\#(message)"}}"#
        let response =
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            + body
        let channel = context.channel
        guard let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) else {
            context.close(promise: nil)
            return
        }
        encoder.writeAndFlush(NIOAny(channel.allocator.buffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
