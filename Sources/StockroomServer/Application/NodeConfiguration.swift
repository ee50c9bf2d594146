public import StockroomCore
public import StockroomNotify
public import StockroomStore

/// Everything `stockroom serve` needs, after flags, environment and config file are merged.
public struct NodeConfiguration: Sendable {
    public enum NodeRole: String, Sendable, CaseIterable {
        case edge, hub
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./stockroom-data"
    /// Nil: keep the stored id, or generate one on first start.
    public var nodeID: NodeID?
    public var role: NodeRole = .edge
    public var durability: StockroomStore.Durability = .full
    /// The hub to sync with (an edge's `--hub`), and the peer token the hub issued for
    /// this node.
    public var hubURL: String?
    public var hubToken: String?
    /// For a hub: stores it can reach and pulls from, with the peer token each store made
    /// for the hub.
    public var peers: [(url: String, token: String)] = []
    /// Locations a store may write besides its own id and `<id>/…` (rule V7), by store:
    /// on a hub, for the ops each store pushes; on an edge, for its own scans.
    public var locationGrants: [NodeID: Set<String>] = [:]
    /// Where this node's own ops may write: a hub anywhere, an edge its own locations and
    /// its grants.
    public func localLocations(of node: NodeID) -> LocationPolicy {
        role == .hub ? .anywhere : .store(node, grants: locationGrants)
    }

    /// A connection that sends nothing for this long is closed: idle keep-alive
    /// connections and slow-loris clients cannot hold file descriptors for ever.
    public var idleTimeoutSeconds: Double = 30
    /// PEM files for HTTPS; nil serves plain HTTP.
    public var tls: (certificatePath: String, keyPath: String)?
    /// The Shopify integration (`--shopify FILE`); nil leaves its webhook route answering 404.
    public var shopify: ShopifyConfiguration?
    /// Alert channels and recipients (`--notify FILE`); nil: episodes are still derived and
    /// listed, and this node sends nothing.
    public var notify: NotifyConfiguration?
    /// On a hub: how often rules with `trigger=auto` become draft documents; nil: never.
    public var replenishEvery: Duration? = .seconds(900)
    /// How often every node refits its demand forecasts (section 12.3); nil: never.
    public var forecastEvery: Duration? = .seconds(21_600)
    /// Serve the web dashboard at `/` (issue #15); `--no-web` turns it off.
    public var web = true
    /// Scheduled backups (issue #16): the folder, how often, and how many to keep; nil
    /// folder or interval: none (`stockroom backup` still works).
    public var backupDirectory: String?
    public var backupEvery: Duration?
    public var backupKeep = 7
    /// On a hub: the business-time history, in days, a blank store's snapshot keeps
    /// whatever its counts cover (sync-protocol section 15.2, rule K1); nil: snapshots
    /// leave nothing out.
    public var snapshotHistoryDays: Int? = 400
    /// On a store with a hub: the business-time history, in days, its own log keeps
    /// whatever its counts cover (rule K2, section 15.3), and how often it drops the
    /// rest; nil: never.
    public var historyDays: Int? = 400
    public var compactEvery: Duration = .seconds(21_600)
    /// Only stable cuts received this many days ago are used: longer than the age of any
    /// backup the hub would be restored from (section 15.3).
    public var compactDelayDays = 8

    public init() {}

    /// Parses `HOST:PORT` (`[::1]:8080` for IPv6); returns a message when malformed.
    public mutating func setListen(_ text: String) -> String? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return "listen address '\(text)' must be HOST:PORT, e.g. 127.0.0.1:8080" }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return "listen address '\(text)' has no host" }
        self.host = host
        self.port = port
        return nil
    }
}
