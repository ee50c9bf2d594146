import ArgumentParser
import AsyncHTTPClient
import Configuration
import Foundation
import Logging
import NIOSSL
import StockroomCore
import StockroomNotify
import StockroomPostgres
import StockroomServer
import StockroomStore
import StockroomSync

#if canImport(Glibc)
import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a node: an edge (a store's daemon, the default) or the hub.")

    @OptionGroup var options: NodeOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8080).")
    var listen: String?

    @Option(name: .long, help: "This node's id; generated and kept on first start when not given.")
    var node: String?

    @Option(name: .long, help: "edge (default) or hub.")
    var role: String?

    @Option(name: .long, help: "Seconds a connection may stay silent before it is closed (default 30).")
    var idleTimeout: Double?

    @Option(
        name: .long, help: "PEM certificate chain: serve HTTPS (a hub its stores reach over a WAN). Needs --tls-key.")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(
        name: .long,
        help: "PEM CA file trusted for https:// sync peers, --hub and --peer (default: the system's trust store).")
    var hubCA: String?

    @Option(
        name: .long,
        help: "full (default): an acknowledged scan survives power loss; normal: it survives a process crash only.")
    var synchronous: String?

    @Option(
        name: .long,
        help:
            "The hub's URL, e.g. http://hub.example:8080 (an edge syncs with it in the background); several hub processes as URL,URL,… are tried in turn when one fails."
    )
    var hub: String?

    @Option(
        name: .long,
        help: "The peer token the hub made for this node ('stockroom token create --role peer --node ID' on the hub).")
    var hubToken: String?

    @Option(
        name: .long,
        help:
            "For a hub: a store to pull from, as URL,TOKEN (a peer token the store made for the hub's node id). Repeatable."
    )
    var peer: [String] = []

    @Option(
        name: .customLong("grant-location"),
        help:
            "NODE=LOCATION: let store NODE write stock at LOCATION besides its own id and ID/… (a shared warehouse). Repeatable; the hub and the store both need it."
    )
    var grantLocation: [String] = []

    @Option(
        name: .long,
        help:
            "A JSON file with the Shopify shop's webhook secret and its location and SKU mapping: enables POST /v1/integrations/shopify/webhooks (README 'Shopify')."
    )
    var shopify: String?

    @Option(
        name: .long,
        help:
            "A JSON file with alert channels (SMTP, SMS gateway, webhook secret) and recipients: this node sends alert messages (README 'Alerts'). Secrets may come from STOCKROOM_SMTP_PASSWORD, STOCKROOM_SMS_AUTH_TOKEN, STOCKROOM_WEBHOOK_SECRET."
    )
    var notify: String?

    @Option(
        name: .long,
        help:
            "On a hub: seconds between automatic replenishment passes (reorder rules with trigger=auto become draft POs and transfers); 0 turns them off. Default 900."
    )
    var replenishEvery: Double?

    @Option(
        name: .long,
        help:
            "Seconds between refits of the daily demand forecasts (reorder points, days of cover, replenishment); 0 turns them off. Default 21600 (6 hours); the first runs a minute after start."
    )
    var forecastEvery: Double?

    @Flag(name: .customLong("no-web"), help: "Do not serve the web dashboard (only /v1, /healthz and /metrics).")
    var noWeb = false

    @Option(
        name: .long,
        help:
            "On a hub: keep the chain's op log in PostgreSQL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]), shared by any number of hub processes; the data folder is then this process's replica (README 'Hub on PostgreSQL')."
    )
    var database: String?

    @Option(name: .long, help: "Take backups into this folder on a schedule (see --backup-every; README 'Backups').")
    var backupDir: String?

    @Option(name: .long, help: "Seconds between scheduled backups (default 86400, a day, when --backup-dir is given).")
    var backupEvery: Double?

    @Option(name: .long, help: "How many scheduled backups to keep (default 7).")
    var backupKeep: Int?

    @Option(
        name: .long, parsing: .unconditional,
        help:
            "On a hub: days of sales history a blank store's snapshot keeps in full; older deltas a count already covers stay at the hub (default 400; -1: leave nothing out). README 'A store whose disk died'."
    )
    var snapshotHistoryDays: Int?

    @Option(
        name: .long, parsing: .unconditional,
        help:
            "On a store with a hub: days of sales history its own log keeps in full; older scans a count covers, which its hub holds, are deleted every 6 hours (default 400; -1: keep everything). README 'History compaction'."
    )
    var historyDays: Int?

    @Option(
        name: .long,
        help:
            "On a store: compact only with a stable cut the hub sent at least this many days ago; keep it longer than the age of any backup the hub may be restored from (default 8)."
    )
    var compactDelayDays: Int?

    func run() async throws {
        let reader = try await options.reader()
        let logger = try options.bootstrapLogging(reader)
        var configuration = NodeConfiguration()
        configuration.dataDirectory = options.dataDirectory(reader)
        if let problem = configuration.setListen(listen ?? reader.string(forKey: "listen", default: "127.0.0.1:8080")) {
            throw ValidationError(problem)
        }
        if let name = node ?? reader.string(forKey: "node") {
            guard let id = NodeID(name) else {
                throw ValidationError("node id '\(name)' must be 1-64 characters of A-Z a-z 0-9 . _ -")
            }
            configuration.nodeID = id
        }
        let roleName = role ?? reader.string(forKey: "role", default: "edge")
        guard let nodeRole = NodeConfiguration.NodeRole(rawValue: roleName) else {
            throw ValidationError("role '\(roleName)' must be edge or hub")
        }
        configuration.role = nodeRole
        let durabilityName = synchronous ?? reader.string(forKey: "synchronous", default: "full")
        guard let durability = StockroomStore.Durability(rawValue: durabilityName) else {
            throw ValidationError("synchronous '\(durabilityName)' must be full or normal")
        }
        configuration.durability = durability
        configuration.idleTimeoutSeconds = idleTimeout ?? reader.double(forKey: "idle_timeout", default: 30)
        guard configuration.idleTimeoutSeconds > 0 else {
            throw ValidationError("--idle-timeout must be above 0 seconds")
        }
        switch (tlsCert ?? reader.string(forKey: "tls_cert"), tlsKey ?? reader.string(forKey: "tls_key")) {
        case (nil, nil): break
        case (.some(let cert), .some(let key)):
            for file in [cert, key] where !FileManager.default.isReadableFile(atPath: file) {
                throw ValidationError("cannot read '\(file)'; give a PEM file this user can read")
            }
            configuration.tls = (cert, key)
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        let hubCA = hubCA ?? reader.string(forKey: "hub_ca")
        if let hubCA, !FileManager.default.isReadableFile(atPath: hubCA) {
            throw ValidationError("cannot read the --hub-ca file '\(hubCA)'")
        }
        configuration.hubURL = hub ?? reader.string(forKey: "hub")
        configuration.hubToken = hubToken ?? reader.string(forKey: "hub_token", isSecret: true)
        switch (configuration.hubURL, configuration.hubToken) {
        case (nil, nil): break
        case (.some, nil): throw ValidationError("--hub needs --hub-token (a peer token made on the hub for this node)")
        case (nil, .some): throw ValidationError("--hub-token needs --hub URL")
        case (.some(let url), .some):
            guard nodeRole == .edge else { throw ValidationError("a hub does not sync with another hub; drop --hub") }
            // Several hub processes: URL,URL,… tried in turn when one fails.
            for one in url.split(separator: ",", omittingEmptySubsequences: false)
            where !(one.hasPrefix("http://") || one.hasPrefix("https://")) {
                throw ValidationError(
                    "--hub must be an http:// or https:// URL (or several, comma-separated), got '\(one)'")
            }
        }

        for entry in peer.isEmpty ? reader.stringArray(forKey: "peers", isSecret: true, default: []) : peer {
            let parts = entry.split(separator: ",", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("http://") || parts[0].hasPrefix("https://") else {
                throw ValidationError(
                    "--peer must be URL,TOKEN (e.g. http://10.0.42.5:8080,sr_…), got '\(entry.prefix(40))'")
            }
            guard nodeRole == .hub else { throw ValidationError("--peer is for a hub; an edge uses --hub") }
            configuration.peers.append((parts[0], parts[1]))
        }

        for entry in grantLocation.isEmpty ? reader.stringArray(forKey: "location_grants", default: []) : grantLocation
        {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let grantee = NodeID(parts[0]), InputRules.isIdentifier(parts[1]) else {
                throw ValidationError(
                    "--grant-location must be NODE=LOCATION (e.g. store-042=warehouse-east), got '\(entry.prefix(80))'")
            }
            configuration.locationGrants[grantee, default: []].insert(parts[1])
        }

        if let path = shopify ?? reader.string(forKey: "shopify") {
            do {
                configuration.shopify = try ShopifyConfiguration.load(path: path)
            } catch let invalid as ShopifyConfiguration.Invalid {
                throw ValidationError(invalid.description)
            }
        }

        if let path = notify ?? reader.string(forKey: "notify") {
            do {
                configuration.notify = try NotifyConfiguration.load(path: path)
            } catch let invalid as NotifyConfiguration.Invalid {
                throw ValidationError(invalid.description)
            }
        }
        let every = replenishEvery ?? reader.double(forKey: "replenish_every", default: 900)
        guard every >= 0 else { throw ValidationError("--replenish-every must be 0 (off) or more seconds") }
        configuration.replenishEvery = every == 0 ? nil : .milliseconds(Int64(every * 1000))
        let forecastEvery = forecastEvery ?? reader.double(forKey: "forecast_every", default: 21_600)
        guard forecastEvery >= 0 else { throw ValidationError("--forecast-every must be 0 (off) or more seconds") }
        configuration.forecastEvery = forecastEvery == 0 ? nil : .milliseconds(Int64(forecastEvery * 1000))
        configuration.web = !noWeb && reader.bool(forKey: "web", default: true)
        if let directory = backupDir ?? reader.string(forKey: "backup_dir") {
            let every = backupEvery ?? reader.double(forKey: "backup_every", default: 86_400)
            guard every >= 60 else { throw ValidationError("--backup-every must be 60 seconds or more") }
            let keep = backupKeep ?? reader.int(forKey: "backup_keep", default: 7)
            guard keep >= 1 else { throw ValidationError("--backup-keep must be 1 or more") }
            configuration.backupDirectory = directory
            configuration.backupEvery = .milliseconds(Int64(every * 1000))
            configuration.backupKeep = keep
        }

        let historyDays = snapshotHistoryDays ?? reader.int(forKey: "snapshot_history_days", default: 400)
        guard historyDays >= -1 else {
            throw ValidationError("--snapshot-history-days must be 0 or more days, or -1 to leave nothing out")
        }
        configuration.snapshotHistoryDays = historyDays < 0 ? nil : historyDays
        let keptDays = self.historyDays ?? reader.int(forKey: "history_days", default: 400)
        guard keptDays >= -1 else {
            throw ValidationError("--history-days must be 0 or more days, or -1 to keep the whole log")
        }
        configuration.historyDays = keptDays < 0 ? nil : keptDays
        let delay = compactDelayDays ?? reader.int(forKey: "compact_delay_days", default: 8)
        guard delay >= 0 else { throw ValidationError("--compact-delay-days must be 0 or more days") }
        configuration.compactDelayDays = delay

        var database: PostgresURL?
        if let text = self.database ?? reader.string(forKey: "database") {
            guard nodeRole == .hub else {
                throw ValidationError("--database is for a hub; a store keeps its data in its own folder")
            }
            guard configuration.peers.isEmpty else {
                throw ValidationError(
                    "--peer cannot be used with --database: over PostgreSQL the stores push to the hub processes")
            }
            do {
                database = try PostgresURL(text)
            } catch {
                throw ValidationError("--database: \(error)")
            }
        }

        let directory = DataDirectory(path: configuration.dataDirectory)
        try directory.create()
        try directory.lock()
        Self.raiseFileDescriptorLimit()
        let metrics = NodeMetrics()
        let store = try directory.openStore(
            nodeID: configuration.nodeID, durability: configuration.durability, logger: logger
        ) { context, units in
            metrics.didCommit(context, units: units)
        }
        try await store.claimRole(configuration.role.rawValue)
        try await store.restrictLocalWrites(to: configuration.localLocations(of: store.nodeID))
        try await store.enableAlerts(
            AlertRouting(
                recipients: configuration.notify?.recipients ?? [], isHub: configuration.role == .hub,
                dailyDigestHourUTC: configuration.notify?.dailyDigestHourUTC ?? 7,
                channels: configuration.notify?.channels ?? []))
        if let notify = configuration.notify {
            logger.info("alert messages enabled", metadata: ["notify": "\(notify)"])
        }
        let newTokens = try await directory.ensureCredentials(store: store)
        let example = try? await store.listItems(category: nil, text: nil, afterSKU: nil, limit: 1).items.first
        let hasAdmin = (try? await store.hasEnabledAdmin()) ?? true
        var replica: HubReplica?
        if let database {
            // Waits (and says so) while the database is down; a newer schema is refused.
            let log: PostgresHubLog
            do {
                log = try await PostgresHubLog.open(database, proposedNode: store.nodeID, logger: logger)
            } catch let error as PostgresSchemaError {
                throw ValidationError(error.description)
            }
            let hub = try await HubReplica(log: log, store: store, logger: logger)
            try await hub.syncOnce()
            logger.info(
                "hub log on PostgreSQL",
                metadata: [
                    "database": "\(database.redacted)", "hub.node": "\(hub.identity.node)",
                    "hub.epoch": "\(hub.identity.epoch)",
                ])
            replica = hub
        }
        let settings = configuration
        var sync: [SyncService] = []
        // One client for every sync peer (the hub, or the stores a hub pulls from). An HTTPS
        // peer is verified against the system's trust store, or only against --hub-ca (a
        // chain's own CA) when given.
        var tls = TLSConfiguration.makeClientConfiguration()
        if let hubCA { tls.trustRoots = .file(hubCA) }
        var httpConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        // A refused connection fails the round at once (instead of being retried until the
        // request's deadline): SyncService backs off by itself, and a store with several
        // hub URLs moves to the next without waiting 10 s.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        if let url = configuration.hubURL, let token = configuration.hubToken {
            sync.append(
                SyncService(
                    client: SyncClient(store: store, baseURL: url, token: token, http: http, logger: logger),
                    logger: logger))
        }
        for (url, token) in configuration.peers {
            sync.append(
                SyncService(
                    client: SyncClient(
                        store: store, baseURL: url, token: token, mode: .pullOnly, http: http,
                        locationGrants: configuration.locationGrants, logger: logger),
                    logger: logger))
        }
        try await recoverBeforeServing(
            store: store, hubSync: configuration.hubURL == nil ? nil : sync.first, logger: logger)
        let app = try buildApplication(
            configuration: configuration, store: store, metrics: metrics, logger: logger, sync: sync,
            replica: replica
        ) { port in
            Banner(
                configuration: settings, port: port, store: store, directory: directory, newTokens: newTokens,
                example: example, hasAdmin: hasAdmin
            ).print()
        }
        logger.info(
            "starting node",
            metadata: [
                "node.id": "\(store.nodeID)", "node.role": "\(configuration.role.rawValue)",
                "node.data": "\(configuration.dataDirectory)",
            ])
        do {
            try await app.runService()
        } catch {
            try? await http.shutdown()
            // Say what to do, not which NIO type failed (finding 22 of issue #11).
            let address = "\(configuration.host):\(configuration.port)"
            let text = "\(error)"
            if text.contains("UnknownHost") {
                throw ValidationError(
                    "cannot listen on \(address): no such host; use an address such as 127.0.0.1:8080 or 0.0.0.0:8080")
            }
            if text.contains("Address already in use") {
                throw ValidationError(
                    "cannot listen on \(address): the port is in use (another stockroom?); pick another")
            }
            if text.contains("Permission denied") {
                throw ValidationError(
                    "cannot listen on \(address): ports below 1024 need privileges; use 8080 or above")
            }
            throw error
        }
        try await http.shutdown()
        logger.info("stopped")
    }
}

/// What `serve` prints once it listens: where the data is, the tokens (first start only),
/// and a scan to paste.
struct Banner {
    let configuration: NodeConfiguration
    let port: Int
    let store: StockroomStore
    let directory: DataDirectory
    let newTokens: [String: String]?
    let example: ItemRecord?
    var hasAdmin = true

    func print() {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let base = "\(configuration.tls == nil ? "http" : "https")://\(host):\(port)"
        let credentials = URL(fileURLWithPath: directory.credentialsPath).standardizedFileURL.path
        var lines = [
            "stockroom \(StockroomVersion.current): \(configuration.role.rawValue) node '\(store.nodeID)' listening on \(base)",
            "  data:        \(URL(fileURLWithPath: directory.path).standardizedFileURL.path)",
            "  credentials: \(credentials) (mode 0600)",
        ]
        // Token secrets are never printed: stdout is the journal under systemd, and a log
        // is no place for a credential. The curl line reads the token from the 0600 file.
        if newTokens != nil {
            lines.append("  first start: made an admin and a scanner token; they are in the credentials file")
        }
        let scannerToken = "$(sed -n 's/.*\"scanner\" : \"\\(.*\\)\".*/\\1/p' \(credentials))"
        let code = example?.barcodes.first ?? example?.sku ?? "SKU-OR-BARCODE"
        if example == nil {
            lines.append(
                "  the catalogue is empty: load one with 'stockroom import catalog FILE.csv --data \(directory.path)'")
        }
        if configuration.web {
            lines.append("  dashboard:   \(base)/")
            if !hasAdmin {
                lines.append(
                    "  no one can sign in yet: make the first admin with 'stockroom user create NAME --role admin --data \(directory.path)' (there is no default password)"
                )
            }
        }
        lines.append("  post a scan:")
        lines.append(
            "    curl -s -X POST \(base)/v1/scans -H \"Authorization: Bearer \(scannerToken)\" -H 'Content-Type: application/json' -d '{\"id\":\"scan-1\",\"code\":\"\(code)\",\"qty\":1,\"reason\":\"sale\"}'"
        )
        // Written unbuffered: under systemd or a pipe, stdout is block-buffered and a print
        // would sit in the buffer while the operator waits for it.
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

extension Serve {
    /// Thousands of scanner and peer connections need more descriptors than the usual soft
    /// limit of 1024: take the hard limit (systemd's default is 524288).
    static func raiseFileDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

extension Serve {
    /// Section 15.1: a store whose folder is blank (a new store, or a disk that died) or
    /// was restored from a backup takes back from its hub what the hub holds under its
    /// name before it numbers a new op. One round is tried before the node listens (up
    /// to ``recoveryWait``), so a reachable hub means no scan is ever refused; with the
    /// hub out of reach the node serves reads and refuses writes with `recovering` until
    /// a round completes.
    static let recoveryWait: Duration = .seconds(5)

    func recoverBeforeServing(store: StockroomStore, hubSync: SyncService?, logger: Logger) async throws {
        guard let hubSync, try await store.storedRole() == "edge" else { return }
        if try await store.isBlank() { try await store.beginRecovery(because: "its folder was empty", snapshot: true) }
        guard let reason = store.recoveringFrom else { return }
        logger.notice(
            "getting this node's own history back from its hub before taking writes",
            metadata: ["reason": "\(reason)", "sync.peer": "\(hubSync.status.url)"])
        let done = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await hubSync.syncNow()) != nil }
            group.addTask {
                try? await Task.sleep(for: Self.recoveryWait)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !done || store.recoveringFrom != nil {
            logger.warning(
                "the hub did not answer in time: this node serves reads but refuses writes until it has its history back",
                metadata: ["sync.peer": "\(hubSync.status.url)", "wait_s": "\(Self.recoveryWait.components.seconds)"])
        }
    }
}
