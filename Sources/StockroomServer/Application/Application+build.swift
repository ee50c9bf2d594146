import AsyncHTTPClient
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
public import StockroomCore
public import StockroomNotify
public import StockroomStore
public import StockroomSync

/// Builds the node's HTTP application around an open store. The executable and the tests
/// both call this, so tests exercise the real routes and middleware.
///
/// With ``NodeConfiguration/tls`` set, the node serves HTTPS only (a hub's stores connect
/// over networks we do not own); without it, plain HTTP (loopback and the store LAN).
/// Throws when the certificate or key cannot be read.
public func buildApplication(
    configuration: NodeConfiguration, store: StockroomStore, metrics: NodeMetrics, logger: Logger,
    sync: [SyncService] = [], replica: HubReplica? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    RequestDecoding.bodyDeadline = .milliseconds(Int64(max(configuration.idleTimeoutSeconds, 1) * 2000))
    var web: WebSite?
    if configuration.web {
        do {
            web = try WebSite(
                store: store, role: configuration.role.rawValue, dataFolder: configuration.dataDirectory,
                secure: configuration.tls != nil, notify: configuration.notify, sharedSessions: replica?.log)
        } catch {
            logger.error("the web dashboard is off: \(error); /v1 is served as usual")
        }
    }
    let router = buildRouter(
        store: store, metrics: metrics, role: configuration.role.rawValue, sync: sync,
        locationGrants: configuration.locationGrants, shopify: configuration.shopify, notify: configuration.notify,
        web: web, replica: replica, snapshotHistoryDays: configuration.snapshotHistoryDays,
        certificatePath: configuration.tls?.certificatePath)
    let http1 = HTTPServerBuilder.http1(
        configuration: .init(
            additionalChannelHandlers: [ParserErrorResponder()],
            idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000))))
    var server = http1
    if let tls = configuration.tls {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: tls.keyPath, format: .pem)
        server = try .tls(
            http1, tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "stockroom"),
        services: sync + [PromiseReconcileService(store: store, logger: logger)] + (replica.map { [$0] } ?? [])
            + notificationServices(
                configuration: configuration, store: store, metrics: metrics, logger: logger) as [any Service],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The routes, grouped by the permission they need (see ``Permission``).
public func buildRouter(
    store: StockroomStore, metrics: NodeMetrics, role: String, sync: [SyncService] = [],
    locationGrants: [NodeID: Set<String>] = [:], shopify: ShopifyConfiguration? = nil,
    notify: NotifyConfiguration? = nil, web: WebSite? = nil, replica: HubReplica? = nil,
    snapshotHistoryDays: Int? = NodeConfiguration().snapshotHistoryDays, certificatePath: String? = nil
) -> Router<StockroomRequestContext> {
    let router = Router(context: StockroomRequestContext.self)
    var htmlPage: (@Sendable (APIError, Request) -> Response)?
    if let web { htmlPage = { error, request in web.errorPage(error, request: request) } }
    router.middlewares.add(ErrorMiddleware<StockroomRequestContext>(htmlPage: htmlPage))
    let authenticator = TokenAuthenticator(store: store)
    var probe = NodeProbe(store: store, dataDirectory: store.folder)
    probe.sync = sync
    probe.replica = replica
    probe.certificatePath = certificatePath
    let system = SystemRoutes(store: store, metrics: metrics, role: role, probe: probe)
    let items = ItemRoutes(store: store)
    let audit = AuditRoutes(store: store)

    system.registerHealth(on: router)
    system.registerMetrics(on: router.group().add(middleware: AuthMiddleware(.metrics, authenticator: authenticator)))

    let v1 = router.group("v1")
    ScanRoutes(store: store, metrics: metrics).register(
        on: v1.group().add(middleware: AuthMiddleware(.scan, authenticator: authenticator)))

    let reads = v1.group().add(middleware: AuthMiddleware(.read, authenticator: authenticator))
    StockRoutes(store: store).register(on: reads)
    items.registerReads(on: reads)
    let documents = DocumentRoutes(store: store)
    documents.registerReads(on: reads)
    documents.registerWrites(on: v1.group().add(middleware: AuthMiddleware(.documents, authenticator: authenticator)))
    let shopifyRoutes = ShopifyRoutes(store: store, configuration: shopify)
    shopifyRoutes.registerWebhook(on: router)  // authenticated by its HMAC alone
    shopifyRoutes.registerDeliveries(
        on: v1.group().add(middleware: AuthMiddleware(.admin, authenticator: authenticator)))
    SupplierRoutes(store: store).registerReads(on: reads)
    SupplierRoutes(store: store).registerWrites(
        on: v1.group().add(middleware: AuthMiddleware(.documents, authenticator: authenticator)))
    AllowanceRoutes(store: store).registerReads(on: reads)
    AllowanceRoutes(store: store).registerWrites(
        on: v1.group().add(middleware: AuthMiddleware(.admin, authenticator: authenticator)))
    let admin = v1.group().add(middleware: AuthMiddleware(.admin, authenticator: authenticator))
    let documentWrites = v1.group().add(middleware: AuthMiddleware(.documents, authenticator: authenticator))
    let alerts = AlertRoutes(store: store)
    alerts.registerReads(on: reads)
    alerts.registerWrites(on: documentWrites)
    alerts.registerAdmin(on: admin)
    let replenishment = ReplenishmentRoutes(store: store)
    replenishment.registerReads(on: reads)
    replenishment.registerWrites(on: documentWrites)
    let notifications = NotificationRoutes(store: store, notify: notify)
    notifications.registerReads(on: reads)
    notifications.registerAdmin(on: admin)
    RecipientRoutes(store: store).registerAdmin(on: admin)
    audit.registerReads(on: reads)
    system.registerStatus(on: reads)
    let reports = ReportRoutes(store: store)
    reports.registerReads(on: reads)
    reports.registerForecast(on: reads)
    reports.registerExplain(on: reads)
    reports.registerAnomalies(reads: reads, writes: documentWrites)

    let catalogueWrites = v1.group().add(middleware: AuthMiddleware(.catalogue, authenticator: authenticator))
    items.registerWrites(on: catalogueWrites)
    reports.registerImport(on: catalogueWrites)
    audit.registerAudit(on: v1.group().add(middleware: AuthMiddleware(.audit, authenticator: authenticator)))
    audit.registerResolve(on: v1.group().add(middleware: AuthMiddleware(.manage, authenticator: authenticator)))
    let syncRoutes = SyncRoutes(
        store: store, metrics: metrics, isHub: role == "hub", locationGrants: locationGrants, services: sync,
        replica: replica, snapshotHistoryDays: snapshotHistoryDays)
    syncRoutes.register(on: v1.group().add(middleware: AuthMiddleware(.sync, authenticator: authenticator)))
    syncRoutes.registerAdmin(on: v1.group().add(middleware: AuthMiddleware(.admin, authenticator: authenticator)))
    web?.register(on: router)
    return router
}

/// The background work of section 11: the outbox's delivery (when this node has a notify
/// file) and, on the hub, automatic replenishment every ``NodeConfiguration/replenishEvery``.
func notificationServices(
    configuration: NodeConfiguration, store: StockroomStore, metrics: NodeMetrics, logger: Logger
) -> [any Service] {
    var services: [any Service] = []
    if let notify = configuration.notify {
        services.append(
            DeliveryService(
                store: store, configuration: notify, httpClient: .shared, logger: logger,
                metrics: metrics.factoryForServices
            ))
    }
    if configuration.role == .hub, let interval = configuration.replenishEvery {
        services.append(autoReplenishService(store: store, interval: interval, logger: logger))
    }
    if let interval = configuration.forecastEvery {
        services.append(ForecastService(store: store, interval: interval, logger: logger))
    }
    if configuration.role == .edge, configuration.hubURL != nil, let days = configuration.historyDays {
        services.append(
            historyCompactionService(
                store: store, historyDays: days, delayDays: configuration.compactDelayDays,
                interval: configuration.compactEvery, logger: logger))
    }
    if let directory = configuration.backupDirectory, let interval = configuration.backupEvery {
        services.append(
            BackupService(
                data: DataDirectory(path: configuration.dataDirectory), directory: directory, interval: interval,
                keep: configuration.backupKeep, logger: logger))
    }
    return services
}
