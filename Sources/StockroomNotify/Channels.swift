public import AsyncHTTPClient
import CStockroomCurl
import Crypto
public import Foundation
import NIOCore
import NIOFoundationCompat
public import StockroomStore

/// A message ready to go: the same content for every channel, each taking what it needs.
public struct RenderedMessage: Sendable {
    /// The id receivers deduplicate by (webhook-id, Message-ID): the outbox batch id.
    public var id: String
    public var type: String
    public var subject: String
    public var text: String
    public var html: String
    /// The Standard Webhooks body: `{"type", "timestamp", "data"}`.
    public var json: Data
    public var attachment: (name: String, type: String, data: Data)?
}

/// Sends one message to one address and says how it went. Never throws: every failure is
/// a ``DeliveryOutcome`` with what the other end answered.
public protocol NotificationChannel: Sendable {
    func send(_ message: RenderedMessage, to address: String) async -> DeliveryOutcome
}

/// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
/// `id.timestamp.body` with the secret's key bytes, sent as `v1,<base64>`.
public enum StandardWebhooks {
    public static func key(fromSecret secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.dropFirst(6))),
            (24...64).contains(bytes.count)
        else { return nil }
        return Array(bytes)
    }

    public static func signature(key: [UInt8], id: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// E-mail over SMTP through libcurl: STARTTLS and AUTH as configured, text plus HTML, an
/// optional attachment.
public struct EmailChannel: NotificationChannel {
    let settings: NotifyConfiguration.Email

    public init(_ settings: NotifyConfiguration.Email) {
        self.settings = settings
        stockroom_curl_global_init()
    }

    public func send(_ message: RenderedMessage, to address: String) async -> DeliveryOutcome {
        let settings = settings
        return await withCheckedContinuation { continuation in
            // libcurl blocks: a thread of its own, not one of the server's event loops.
            Thread.detachNewThread {
                continuation.resume(returning: Self.sendBlocking(message, to: address, settings: settings))
            }
        }
    }

    static func sendBlocking(
        _ message: RenderedMessage, to address: String, settings: NotifyConfiguration.Email
    )
        -> DeliveryOutcome
    {
        let domain = settings.from.split(separator: "@").last.map(String.init) ?? "stockroom"
        let messageID = message.id.map { $0.isLetter || $0.isNumber || "-.".contains($0) ? $0 : "." }
        let headers = [
            "From: Stockroom <\(settings.from)>", "To: <\(address)>", "Subject: \(encodedHeader(message.subject))",
            "Message-ID: <\(String(messageID))@\(domain)>", "X-Stockroom-Message: \(message.type)",
        ]
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }  // the C strings live until libcurl is done
        let c = strings.copy
        let recipients = [c("<\(address)>")]
        let headerPointers = headers.map { c($0) }
        var result = stockroom_smtp_result()
        let attachmentData = message.attachment?.data ?? Data()
        let code = attachmentData.withUnsafeBytes { raw -> Int32 in
            recipients.withUnsafeBufferPointer { recipientList in
                headerPointers.withUnsafeBufferPointer { headerList in
                    var request = stockroom_smtp_message(
                        url: c(settings.url), username: c(settings.username), password: c(settings.password),
                        use_ssl: settings.startTLS == "required" ? 2 : settings.startTLS == "try" ? 1 : 0,
                        ca_file: c(settings.caFile), from: c("<\(settings.from)>"),
                        recipients: recipientList.baseAddress, recipient_count: Int32(recipientList.count),
                        headers: headerList.baseAddress, header_count: Int32(headerList.count), text: c(message.text),
                        html: c(message.html), attachment_name: c(message.attachment?.name),
                        attachment_type: c(message.attachment?.type),
                        attachment_data: message.attachment == nil
                            ? nil : raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                        attachment_size: raw.count, timeout_ms: Int(settings.timeoutSeconds * 1000))
                    return stockroom_smtp_send(&request, &result)
                }
            }
        }
        let transcript = withUnsafeBytes(of: result.transcript) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        .split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
        if code == 0 {
            return .sent(detail: "SMTP \(result.response_code): \(transcript)")
        }
        let error = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let detail =
            "SMTP \(settings.url): \(error) (curl \(code), last reply \(result.response_code))"
            + (transcript.isEmpty ? "" : "; server said: \(transcript)")
        return stockroom_curl_is_permanent(code, result.response_code) != 0
            ? .dead(detail: detail) : .retry(detail: detail)
    }

    /// RFC 2047 for a subject that is not plain ASCII.
    static func encodedHeader(_ text: String) -> String {
        let clean = text.filter { $0 != "\r" && $0 != "\n" }
        guard !clean.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) else { return clean }
        return "=?UTF-8?B?" + Data(clean.utf8).base64EncodedString() + "?="
    }
}

/// The channels that go over HTTP: Twilio-compatible SMS, Standard Webhooks, Slack.
public struct HTTPChannel: NotificationChannel {
    public enum Kind: Sendable {
        case sms(NotifyConfiguration.SMS)
        case webhook(key: [UInt8])
        case slack
    }

    let kind: Kind
    let client: HTTPClient
    let timeout: TimeAmount

    public init(_ kind: Kind, client: HTTPClient, timeoutSeconds: Double) {
        self.kind = kind
        self.client = client
        self.timeout = .milliseconds(Int64(timeoutSeconds * 1000))
    }

    public func send(_ message: RenderedMessage, to address: String) async -> DeliveryOutcome {
        var request: HTTPClientRequest
        switch kind {
        case .sms(let sms):
            let base = sms.baseURL.hasSuffix("/") ? String(sms.baseURL.dropLast()) : sms.baseURL
            request = HTTPClientRequest(url: "\(base)/2010-04-01/Accounts/\(sms.account)/Messages.json")
            request.method = .POST
            let credentials = Data("\(sms.account):\(sms.authToken)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(credentials)")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let body = [("To", address), ("From", sms.from), ("Body", String(message.text.prefix(1500)))]
                .map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: body))
        case .webhook(let key):
            request = HTTPClientRequest(url: address)
            request.method = .POST
            let timestamp = Int(Date().timeIntervalSince1970)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "webhook-id", value: message.id)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            request.headers.add(
                name: "webhook-signature",
                value: StandardWebhooks.signature(key: key, id: message.id, timestamp: timestamp, body: message.json))
            request.body = .bytes(ByteBuffer(data: message.json))
        case .slack:
            request = HTTPClientRequest(url: address)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let payload = try? JSONSerialization.data(withJSONObject: ["text": "*\(message.subject)*\n\(message.text)"])
            request.body = .bytes(ByteBuffer(data: payload ?? Data()))
        }
        request.headers.add(name: "User-Agent", value: "stockroom")
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 * 1024)
            let text = String(buffer: body).prefix(500)
            let detail = "HTTP \(response.status.code) from \(Self.host(of: request.url)): \(text)"
            switch response.status.code {
            case 200..<300: return .sent(detail: detail)
            case 408, 425, 429, 500..<600: return .retry(detail: detail)
            default: return .dead(detail: detail)
            }
        } catch {
            return .retry(detail: "\(Self.host(of: request.url)): \(error)")
        }
    }

    static func host(of url: String) -> String {
        guard let components = URLComponents(string: url) else { return "the receiver" }
        return (components.host ?? "?") + (components.port.map { ":\($0)" } ?? "")
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
