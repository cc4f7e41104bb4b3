import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import OpenStackClient
import ServiceLifecycle
import TricircleCore
import TricircleJobs
import TricircleStore

/// Everything one gateway process shares: the store, the one HTTP client, Keystone, the endpoint catalog,
/// routing and jobs. Built once at start-up; front-ends and workers receive it.
public final class GatewayRuntime: Sendable {
    public let config: TricircleConfig
    public let store: StateStore
    /// Whether `shutdown` closes the store (not when it is shared with another runtime).
    let ownsStore: Bool
    public let httpClient: HTTPClient
    /// Keep-alive connections for plain-http pod calls (the regional client's lean path).
    let podPool: PodConnectionPool?
    public let keystone: KeystoneClient
    public let endpoints: EndpointResolver
    public let routing: RoutingService
    public let pods: PodStore
    /// The registered pods, cached briefly; AZ -> pod for creates.
    public let podDirectory: PodDirectory
    /// Calls to pods' services with the caller's token.
    public let regions: RegionalServiceClient
    /// Merged, paged lists across pods (one cursor cache per process).
    public let lister: CrossPodLister
    /// Per-pod circuits, one set per pod service type, shared by every front-end in this process.
    private let circuits: PodCircuits
    public let jobs: JobEngine
    public let logger: Logger
    /// Keystone settings for the auth middleware of every front-end.
    public let authConfiguration: KeystoneAuthConfiguration
    /// One validated-token cache shared by every front-end, so a token is checked with Keystone once.
    public let tokenCache: TokenValidationCache
    /// The origin links in answers carry (`public_host`, or a trusted proxy's forwarded host).
    public let publicOrigin: PublicOrigin
    /// This process's metrics (requests, pod calls, circuits, caches, jobs), scraped at the admin port's `/metrics`.
    public let metrics: GatewayMetrics

    /// Opens the store (migrating it when configured or on SQLite) and connects nothing else yet:
    /// Keystone is asked on first use, so a gateway starts even while Keystone is still coming up.
    public static func start(config: TricircleConfig, registry: JobHandlerRegistry = JobHandlerRegistry(),
                             logger: Logger = Logger(label: "tricircle")) async throws -> GatewayRuntime {
        do {
            _ = try PublicOrigin(publicHost: config.publicHost, trustedProxies: config.trustedProxies)
        } catch {
            throw ConfigError(error.message)
        }
        let store = try await StateStore.open(url: config.databaseURL, maxPoolSize: config.databaseMaxPoolSize,
                                              logger: Logger(label: "tricircle.store"))
        if config.autoMigrate || store.backend == .sqlite {
            do {
                try await store.migrate()
            } catch {
                // The pool must be shut down before it is released (and the caller gets the real error).
                try? await store.close()
                throw error
            }
        } else {
            let applied = try await store.currentVersions().max() ?? 0
            guard applied >= Migrations.latestVersion else {
                try? await store.close()
                throw ConfigError("database schema is at version \(applied), this build needs \(Migrations.latestVersion): run `tricircle db upgrade`")
            }
        }
        logger.info("state store ready", metadata: ["backend": "\(store.backend.rawValue)", "url": "\(store.displayURL)"])
        return GatewayRuntime(config: config, store: store, registry: registry, logger: logger)
    }

    /// A runtime on a store another runtime opened and keeps (tests run two gateway processes on one
    /// SQLite file this way: SQLite serves one process, through one connection).
    public static func start(config: TricircleConfig, sharingStoreOf other: GatewayRuntime, registry: JobHandlerRegistry = JobHandlerRegistry(),
                             logger: Logger = Logger(label: "tricircle")) -> GatewayRuntime {
        GatewayRuntime(config: config, store: other.store, registry: registry, logger: logger, ownsStore: false)
    }

    init(config: TricircleConfig, store: StateStore, registry: JobHandlerRegistry, logger: Logger, ownsStore: Bool = true) {
        self.config = config
        self.store = store
        self.ownsStore = ownsStore
        self.logger = logger
        let metrics = GatewayMetrics()
        self.metrics = metrics
        let httpClient = SharedHTTPClient.make()
        self.httpClient = httpClient
        let authConfiguration = KeystoneAuthConfiguration(config)
        self.authConfiguration = authConfiguration
        self.tokenCache = TokenValidationCache(configuration: authConfiguration, metrics: metrics)
        // `start` refused a value that does not parse; a runtime built directly (tests) falls back to the host alone.
        self.publicOrigin = (try? PublicOrigin(publicHost: config.publicHost, trustedProxies: config.trustedProxies))
            ?? PublicOrigin.loopback
        let keystone = KeystoneClient(configuration: authConfiguration.keystone, httpClient: httpClient)
        self.keystone = keystone
        let pods = PodStore(store: store)
        self.pods = pods
        self.podDirectory = PodDirectory(store: pods, defaultAZ: config.defaultAvailabilityZone)
        self.lister = CrossPodLister(metrics: metrics)
        // Long enough to spare clients repeated timeouts, short enough to notice a pod coming back.
        self.circuits = PodCircuits(coolDown: max(.seconds(2), min(.seconds(10), config.podTimeout)))
        let endpointStore = EndpointStore(store: store)
        self.endpoints = EndpointResolver(
            keystone: keystone, defaultInterface: config.endpointInterface,
            maxAge: .seconds(config.endpointCacheTime),
            onRefresh: { templates in
                // Persist what the catalog said per registered pod, so operators (and other processes) can see it.
                guard let registered = try? await pods.list() else { return }
                for pod in registered {
                    let mine = templates.filter { $0.regionID == pod.regionName }
                        .map { (serviceType: $0.serviceType, interface: $0.interface, url: $0.urlTemplate) }
                    try? await endpointStore.replace(podID: pod.podID, with: mine)
                }
            })
        // TRICIRCLE_POD_CLIENT=asynchttpclient sends every pod call through AsyncHTTPClient (to measure the difference).
        let podPool = Self.measuring("TRICIRCLE_POD_CLIENT", off: "asynchttpclient") ? nil : PodConnectionPool()
        self.podPool = podPool
        self.regions = RegionalServiceClient(
            httpClient: httpClient, pool: podPool, resolver: endpoints, defaultTimeout: config.podTimeout)
        self.routing = RoutingService(
            store: store, cacheTime: .seconds(config.routingCacheTime), cacheSize: config.routingCacheSize,
            staleLockSeconds: config.staleLockSeconds, metrics: metrics)
        self.jobs = JobEngine(
            store: store, registry: registry, config: JobEngineConfig(config), logger: Logger(label: "tricircle.jobs"),
            metrics: metrics.factory)
        // A resource the top forgets frees its project's quota: the regions' own shares follow at once.
        routing.onForget { [weak self] type, project in
            guard let self else { return }
            await QuotaService(runtime: self).usageDropped(type, project: project)
        }
    }

    /// Releases the store and the HTTP client.
    public func shutdown() async {
        await podPool?.shutdown()
        try? await httpClient.shutdown()
        if ownsStore { try? await store.close() }
    }

    /// Whether a Keystone region exists (a pod's region name must be one).
    public func regionExists(_ name: String) async throws -> Bool {
        try await keystone.region(name) != nil
    }

    /// The services that make up the requested components, ready for a `ServiceGroup`.
    /// `onListening` is told each front-end's name and bound port (useful with port 0).
    public func services(
        components: GatewayComponents, frontEnds: [any GatewayFrontEnd] = [],
        onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
    ) -> [any Service] {
        var services: [any Service] = []
        if components.contains(.admin) {
            services.append(makeAdminApplication(onListening: onListening))
        }
        for frontEnd in frontEnds where components.contains(frontEnd.component) {
            let name = frontEnd.name
            services.append(Application(
                router: InstrumentedRouter(frontEnd.makeRouter(), api: name, metrics: metrics), server: serverBuilder,
                configuration: listenerConfiguration(port: frontEnd.port, name: name),
                onServerRunning: { channel in await onListening(name, Self.boundPort(channel)) },
                logger: Logger(label: "tricircle.\(name)")))
        }
        if components.contains(.jobs), config.jobWorkers > 0 {
            services.append(JobWorkerPool(engine: jobs, workers: config.jobWorkers))
        }
        return services
    }

    /// Runs the components until SIGTERM/SIGINT (graceful) or cancellation.
    public func run(
        components: GatewayComponents, frontEnds: [any GatewayFrontEnd] = [],
        onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
    ) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services(components: components, frontEnds: frontEnds, onListening: onListening),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// A forwarder for one pod service type, with the configured routed-call timeout and that service's
    /// per-pod circuits.
    public func forwarder(serviceType: String, format: APIFaultFormat) -> PodForwarder {
        PodForwarder(client: regions, serviceType: serviceType, format: format,
                     timeout: config.podTimeout, health: podHealth(serviceType: serviceType), metrics: metrics)
    }

    /// The circuits of one pod service type ("compute", "volumev3", ...): a pod whose Nova stopped
    /// answering is skipped by every Compute call in the process, while its Cinder may still be used.
    public func podHealth(serviceType: String) -> PodHealth { circuits.health(serviceType: serviceType) }

    /// Every service type's circuits made so far (for the metrics).
    func circuitsByService() -> [(String, PodHealth)] { circuits.all() }

    /// A front-end's router with the kit's outer middleware: request ids and errors in the API's format on
    /// every answer (unknown paths 404, other methods of a known path 405 with `Allow`), links from the public
    /// origin. Version documents go on it directly; everything else on `authenticated(_:format:)`.
    public func frontEndRouter(format: APIFaultFormat) -> GatewayRouter {
        GatewayRouter(format: format)
            .add(middleware: ErrorBoundaryMiddleware(format: format))
            .add(middleware: PublicOriginMiddleware(origin: publicOrigin))
    }

    /// The group for a front-end's authenticated routes: Keystone auth, then the JSON body read once,
    /// bounded by `[gateway] max_body_bytes` and `body_timeout` (`readsBody: false` for routes that stream).
    public func authenticated(
        _ router: GatewayRouter, format: APIFaultFormat, readsBody: Bool = true,
        mediaTypes: Set<String> = RequestBodyMiddleware.jsonMediaTypes
    ) -> RouterGroup<GatewayRequestContext> {
        let group = router.group().add(middleware: authMiddleware(format: format))
        guard readsBody else { return group }
        return group.add(middleware: bodyReader(format: format, mediaTypes: mediaTypes))
    }

    /// The kit's body reader with this process's limits.
    public func bodyReader(format: APIFaultFormat, mediaTypes: Set<String> = RequestBodyMiddleware.jsonMediaTypes) -> RequestBodyMiddleware {
        RequestBodyMiddleware(limit: config.maxBodyBytes, timeout: config.bodyTimeout, format: format, mediaTypes: mediaTypes)
    }

    /// Keystone auth for a front-end, with errors worded in its API's format.
    public func authMiddleware(format: APIFaultFormat) -> KeystoneAuthMiddleware<GatewayRequestContext> {
        KeystoneAuthMiddleware(validator: keystone, configuration: authConfiguration, cache: tokenCache, errorBody: format.authErrorBody)
    }

    /// How long each pod has for its part of a merged list.
    public var listTimeout: Duration { config.listTimeout }

    func listenerConfiguration(port: Int, name: String) -> ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(config.bindHost, port: port), serverName: "tricircle-\(name)")
    }

    /// HTTP/1.1 with the configured idle timeout: a connection that sends nothing is closed. Requests are handled
    /// on their connection's event loop (`EventLoopHTTP1Channel`), unless TRICIRCLE_HANDLERS_ON_EVENT_LOOP=0
    /// (to measure the difference).
    var serverBuilder: HTTPServerBuilder {
        let configuration = HTTP1Channel.Configuration(idleTimeout: TimeAmount(config.clientIdleTimeout))
        return Self.measuring("TRICIRCLE_HANDLERS_ON_EVENT_LOOP", off: "0")
            ? .http1(configuration: configuration) : .http1OnEventLoop(configuration: configuration)
    }

    /// Whether an environment variable turns one of the issue 17 speed-ups off, for before/after measurements.
    static func measuring(_ variable: String, off value: String) -> Bool {
        ProcessInfo.processInfo.environment[variable] == value
    }

    static func boundPort(_ channel: any Channel) -> Int { channel.localAddress?.port ?? 0 }
}
