public import AsyncHTTPClient
import CStockroomCurl
public import Foundation
import NIOCore
import NIOHTTP1

/// `stockroom doctor`'s look at the alert channels: can this node reach them, and do they
/// accept its credentials? Nothing is delivered.
public enum ChannelProbe {
    /// Connects to the SMTP server, says EHLO, STARTTLS and AUTH as configured, then NOOP.
    /// Blocking (libcurl); run it off the event loops. Returns nil when all worked, else
    /// what failed and what the server said.
    public static func smtp(_ settings: NotifyConfiguration.Email) -> String? {
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }  // the C strings live until libcurl is done
        let c = strings.copy
        var request = stockroom_smtp_message()
        request.url = c(settings.url)
        request.username = c(settings.username)
        request.password = c(settings.password)
        request.use_ssl = settings.startTLS == "required" ? 2 : settings.startTLS == "try" ? 1 : 0
        request.ca_file = c(settings.caFile)
        request.timeout_ms = Int(settings.timeoutSeconds * 1000)
        var result = stockroom_smtp_result()
        let code = stockroom_smtp_probe(&request, &result)
        guard code != 0 else { return nil }
        let error = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let transcript = withUnsafeBytes(of: result.transcript) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }.split(whereSeparator: \.isNewline).suffix(2).joined(separator: " | ")
        return "\(error) (curl \(code), last reply \(result.response_code))"
            + (transcript.isEmpty ? "" : "; server said: \(transcript)")
    }

    /// Whether an HTTP(S) endpoint answers at all (any status: a webhook receiver may
    /// well refuse a HEAD). Returns nil when it answered, else why not (DNS, connection,
    /// TLS, timeout).
    public static func http(_ url: String, client: HTTPClient = .shared, timeoutSeconds: Int64 = 10) async -> String? {
        var request = HTTPClientRequest(url: url)
        request.method = .HEAD
        do {
            _ = try await client.execute(request, timeout: .seconds(timeoutSeconds))
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// C copies of Swift strings for libcurl's structs, freed together when the arena goes.
final class CStrings {
    private var copies: [UnsafeMutablePointer<CChar>?] = []

    /// A NUL-terminated copy of `text` (nil for nil), valid while this arena lives.
    func copy(_ text: String?) -> UnsafePointer<CChar>? {
        guard let text else { return nil }
        let copy = strdup(text)
        copies.append(copy)
        return UnsafePointer(copy)
    }

    deinit { copies.forEach { free($0) } }
}
