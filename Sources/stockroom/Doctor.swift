import ArgumentParser
import AsyncHTTPClient
import Configuration
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import StockroomNotify
import StockroomServer
import StockroomStore

/// `stockroom doctor`: checks a node's setup as the service would run it, and says what to
/// fix. Reads only: it changes nothing and sends no message (the SMTP check ends with NOOP).
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check this node's setup (folder, disk, schema, hub, clock, TLS, alert channels) and say what to fix.",
        discussion: """
            Reads the same config file and STOCKROOM_* variables as 'serve'. Run it as the service's user \
            (sudo -u stockroom stockroom doctor) to see what the daemon sees. Exits 1 when a check fails; \
            warnings do not fail.
            """)

    @OptionGroup var options: NodeOptions

    @Option(
        help: "The hub's URL (URL,URL,… for several processes), as 'serve --hub' takes it; default from the config.")
    var hub: String?

    @Option(help: "A notify file to check, as 'serve --notify' takes it; default from the config.")
    var notify: String?

    enum Outcome: String { case ok = "ok  ", warn = "WARN", fail = "FAIL" }

    final class Report: @unchecked Sendable {
        var failures = 0
        var warnings = 0
        func say(_ outcome: Outcome, _ what: String, _ detail: String) {
            if outcome == .fail { failures += 1 }
            if outcome == .warn { warnings += 1 }
            print("\(outcome.rawValue)  \(what): \(detail)")
        }
    }

    func run() async throws {
        let reader = try await options.reader()
        let report = Report()
        print("stockroom \(StockroomVersion.current) doctor (as user \(ProcessInfo.processInfo.userName))")
        let data = DataDirectory(path: options.dataDirectory(reader))
        checkFolder(data, report)
        checkDisk(data, report)
        checkSchema(data, report)
        if let cert = reader.string(forKey: "tls_cert") { checkCertificate(cert, report) }
        let hub = self.hub ?? reader.string(forKey: "hub")
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration(reader))
        if let hub {
            for url in hub.split(separator: ",").map(String.init) {
                await checkHub(url, token: reader.string(forKey: "hub_token", isSecret: true), client: client, report)
            }
        } else {
            print("—     hub: none configured (a store syncs only with --hub or \"hub\" in the config)")
        }
        if let notify = notify ?? reader.string(forKey: "notify") { await checkNotify(notify, client: client, report) }
        try? await client.shutdown()
        print(
            report.failures == 0
                ? "\(report.warnings == 0 ? "all checks passed" : "passed, with \(report.warnings) warning(s)")"
                : "\(report.failures) check(s) failed: fix them, then run 'stockroom doctor' again")
        if report.failures > 0 { throw ExitCode(1) }
    }

    func clientConfiguration(_ reader: ConfigReader) -> HTTPClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = reader.string(forKey: "hub_ca") { tls.trustRoots = .file(ca) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return configuration
    }

    // MARK: The data folder

    func checkFolder(_ data: DataDirectory, _ report: Report) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: data.path, isDirectory: &isFolder), isFolder.boolValue else {
            report.say(
                .warn, "data folder",
                "\(data.path) does not exist yet; 'serve' makes it on first start (its parent must be writable)")
            return
        }
        let attributes = (try? manager.attributesOfItem(atPath: data.path)) ?? [:]
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        let owner = attributes[.ownerAccountName] as? String ?? "?"
        if !manager.isWritableFile(atPath: data.path) {
            report.say(
                .fail, "data folder",
                "\(data.path) is not writable by this user (owner \(owner)); chown it to the service's user")
        } else if mode & 0o007 != 0 {
            report.say(
                .fail, "data folder",
                "\(data.path) is mode \(String(mode, radix: 8)): others may read the database; chmod 0700 \(data.path)")
        } else {
            report.say(.ok, "data folder", "\(data.path), owner \(owner), mode \(String(mode, radix: 8))")
        }
        for file in [data.databasePath, data.databasePath + "-wal"] where manager.fileExists(atPath: file) {
            if !manager.isWritableFile(atPath: file) {
                report.say(
                    .fail, "database",
                    "\(file) is not writable by this user; chown -R the data folder to the service's user")
            }
        }
        if manager.fileExists(atPath: data.credentialsPath) {
            let mode =
                ((try? manager.attributesOfItem(atPath: data.credentialsPath))?[.posixPermissions] as? NSNumber)?
                .intValue ?? 0
            if mode & 0o077 != 0 {
                report.say(
                    .fail, "credentials",
                    "\(data.credentialsPath) is mode \(String(mode, radix: 8)); it holds the admin token: chmod 0600 it"
                )
            } else if !manager.isReadableFile(atPath: data.credentialsPath) {
                report.say(.fail, "credentials", "\(data.credentialsPath) is not readable by this user")
            } else {
                report.say(.ok, "credentials", "\(data.credentialsPath), mode \(String(mode, radix: 8))")
            }
        }
    }

    func checkDisk(_ data: DataDirectory, _ report: Report) {
        let path = FileManager.default.fileExists(atPath: data.path) ? data.path : "."
        guard let disk = FilesystemFigures(path: path) else {
            report.say(.fail, "disk", "cannot read the filesystem of \(path)")
            return
        }
        let free = Double(disk.availableBytes) / Double(max(disk.sizeBytes, 1))
        let text = "\(disk.availableBytes >> 20) MiB free of \(disk.sizeBytes >> 20) MiB (\(Int(free * 100))%)"
        if disk.availableBytes < NodeProbe.minimumFreeBytes {
            report.say(.fail, "disk", "\(text): below 256 MiB the node refuses writes; free space now")
        } else if free < 0.10 {
            report.say(.warn, "disk", "\(text): under 10% free; free space or move old backups")
        } else {
            report.say(.ok, "disk", text)
        }
    }

    func checkSchema(_ data: DataDirectory, _ report: Report) {
        guard FileManager.default.fileExists(atPath: data.databasePath) else {
            report.say(.ok, "schema", "no database yet; 'serve' makes one at \(StockroomVersion.schema)")
            return
        }
        do {
            let status = try SchemaStatus.read(path: data.databasePath)
            if status.pending.isEmpty {
                report.say(.ok, "schema", "\(status.applied.last ?? "empty"), this binary's newest")
            } else {
                report.say(
                    .warn, "schema",
                    "\(status.applied.last ?? "empty"); 'serve' (or 'stockroom migrate') will apply \(status.pending.joined(separator: ", "))"
                )
            }
        } catch {
            report.say(.fail, "schema", "\(error)")
        }
    }

    func checkCertificate(_ path: String, _ report: Report) {
        guard let expiry = NodeProbe.certificateExpiry(path) else {
            report.say(.fail, "TLS certificate", "cannot read a PEM certificate from \(path)")
            return
        }
        let days = (Double(expiry) - Date().timeIntervalSince1970) / 86_400
        if days < 0 {
            report.say(.fail, "TLS certificate", "\(path) expired \(Int(-days)) days ago: renew it, then restart")
        } else if days < 14 {
            report.say(.warn, "TLS certificate", "\(path) expires in \(Int(days)) days: renew it")
        } else {
            report.say(.ok, "TLS certificate", "\(path) valid for \(Int(days)) more days")
        }
    }

    // MARK: The hub

    func checkHub(_ url: String, token: String?, client: HTTPClient, _ report: Report) async {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let sent = Date()
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(10))
            body = try await response.body.collect(upTo: 1 << 16)
        } catch {
            let text = "\(error)"
            let hint =
                text.contains("certificate") || text.contains("handshake") || text.contains("SSL")
                ? "its TLS certificate is not trusted: give the chain's CA with hub_ca (--hub-ca)"
                : "check the URL, DNS and the firewall between this node and the hub"
            report.say(.fail, "hub \(base)", "unreachable (\(text.prefix(160))); \(hint)")
            return
        }
        let received = Date()
        guard response.status == .ok,
            let health = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        else {
            report.say(.fail, "hub \(base)", "answered \(response.status.code) to /healthz: is this a stockroom hub?")
            return
        }
        let version = health["version"] as? String ?? "before 1.0.0"
        let protocols = (health["protocols"] as? [Int]) ?? [1]
        let common = Set(protocols).intersection(Set(StockroomVersion.protocols))
        if common.isEmpty {
            report.say(
                .fail, "hub \(base)",
                "speaks sync protocols \(protocols), this node \(StockroomVersion.protocols): upgrade the older side (hub first)"
            )
        } else {
            let tls = base.hasPrefix("https://") ? "TLS verified, " : "plain HTTP (use https:// across a WAN), "
            report.say(
                .ok, "hub \(base)",
                "\(tls)stockroom \(version) (\(health["role"] as? String ?? "?")), sync protocol \(common.max()!) in common"
            )
        }
        if token == nil { report.say(.fail, "hub token", "a hub is set but no hub_token: sync would be refused") }
        // The hub's clock from its Date header (1 s resolution), against the middle of the round trip.
        if let date = response.headers.first(name: "date"), let hubTime = Self.httpDate(date) {
            let offset = hubTime.timeIntervalSince(sent.addingTimeInterval(received.timeIntervalSince(sent) / 2))
            if abs(offset) > 60 {
                report.say(
                    .fail, "clock",
                    "this host's clock is \(Int(offset)) s off the hub's: fix the time service (timedatectl, chrony); the node stamps with the hub's time meanwhile"
                )
            } else if abs(offset) > 5 {
                report.say(.warn, "clock", "about \(Int(offset)) s off the hub's; check the time service")
            } else {
                report.say(.ok, "clock", "within a few seconds of the hub's")
            }
        }
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    // MARK: Alert channels

    func checkNotify(_ path: String, client: HTTPClient, _ report: Report) async {
        let configuration: NotifyConfiguration
        do {
            configuration = try NotifyConfiguration.load(path: path)
        } catch {
            report.say(.fail, "notify file", "\(error)")
            return
        }
        report.say(.ok, "notify file", "\(path): \(configuration.recipients.count) recipients")
        if let email = configuration.email {
            let problem = await Task.detached { ChannelProbe.smtp(email) }.value
            if let problem {
                report.say(.fail, "email (SMTP)", "\(email.url): \(problem)")
            } else {
                report.say(.ok, "email (SMTP)", "\(email.url) accepted the connection, TLS and login (nothing sent)")
            }
        }
        if let sms = configuration.sms {
            if let problem = await ChannelProbe.http(sms.baseURL, client: client) {
                report.say(.fail, "SMS gateway", "\(sms.baseURL): \(problem.prefix(200))")
            } else {
                report.say(.ok, "SMS gateway", "\(sms.baseURL) answers")
            }
        }
        let endpoints = Set(
            configuration.recipients.filter { $0.channel == .webhook || $0.channel == .slack }.map(\.address))
        for url in endpoints.sorted() {
            let shown = url.count > 60 ? String(url.prefix(60)) + "…" : url
            if let problem = await ChannelProbe.http(url, client: client) {
                report.say(.fail, "webhook", "\(shown): \(problem.prefix(200))")
            } else {
                report.say(.ok, "webhook", "\(shown) answers")
            }
        }
    }
}
