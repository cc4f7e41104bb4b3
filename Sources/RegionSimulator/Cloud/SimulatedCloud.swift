import Foundation
import Hummingbird
import OpenStackModels
import Synchronization

/// Keystone plus simulated OpenStack regions on loopback, one listener per (region, service) so a
/// single service of a single region can be made unreachable.
///
/// ```swift
/// try await SimulatedCloud.withRunning { cloud in
///     let keystone = cloud.identityURL                    // http://127.0.0.1:port/v3
///     let nova = cloud.endpoint(region: "RegionOne", service: .compute)
///     cloud.setFault(FaultSettings(down: true), region: "RegionTwo", service: .compute)
/// }
/// ```
/// Or `try await cloud.run()` until cancelled. Faults can also be changed over HTTP on the Keystone
/// listener: `GET|PUT|DELETE /sim/faults/{region}/{service}`, `GET /sim/endpoints`.
public final class SimulatedCloud: Sendable {
    /// What was started.
    public let configuration: SimulatedCloudConfiguration
    /// The shared Keystone (tokens, catalog).
    public let identity: SimulatedIdentity
    private let regionFaults: [String: FaultInjector]
    private let regionRequestLogs: [String: GlobalRequestLog]
    private let regionStores: [String: RegionStore]
    private let identityListener: Listener
    private let listeners: [Listener]
    private let ready = Gate()

    public init(configuration: SimulatedCloudConfiguration = SimulatedCloudConfiguration()) {
        self.configuration = configuration
        let identity = SimulatedIdentity(adminPassword: configuration.adminPassword, tokenLifetime: configuration.tokenLifetime)
        self.identity = identity
        var faults: [String: FaultInjector] = [:]
        var requestLogs: [String: GlobalRequestLog] = [:]
        var stores: [String: RegionStore] = [:]
        var listeners: [Listener] = []
        let host = configuration.host
        var nextPort = configuration.basePort == 0 ? 0 : configuration.basePort + 1
        let controlBox = ControlBox()
        for region in configuration.regions {
            let injector = FaultInjector()
            let requestLog = GlobalRequestLog()
            requestLogs[region.name] = requestLog
            let store = RegionStore(regionName: region.name, quotaDefaults: configuration.quotaDefaults)
            faults[region.name] = injector
            stores[region.name] = store
            var context = SimulatedRegionContext(
                regionName: region.name, availabilityZone: region.availabilityZone, identity: identity, faults: injector,
                now: configuration.now, transitionDelay: configuration.transitionDelay, identityURL: { controlBox.identityURL })
            context.restartDelay = configuration.restartDelay
            for kind in region.services {
                let service = Self.makeService(kind, store: store)
                let router = service.makeRouter(context: context)
                let faulting = FaultingResponder(
                    inner: router.buildResponder(), faults: injector, serviceType: service.serviceType, requestLog: requestLog)
                listeners.append(Listener(
                    region: region.name, serviceType: service.serviceType, serviceName: service.serviceName,
                    endpointPath: service.endpointPath, responder: ClosureResponder(body: faulting.respond),
                    faults: injector, host: host, port: nextPort))
                if nextPort != 0 { nextPort += 1 }
            }
        }
        self.regionFaults = faults
        self.regionRequestLogs = requestLogs
        self.regionStores = stores
        self.listeners = listeners
        // Keystone's listener also serves the /sim control routes; the control router needs `self`,
        // so it is resolved lazily through a box filled below.
        let keystone = identity.makeRouter().buildResponder()
        self.identityListener = Listener(
            region: nil, serviceType: "identity", serviceName: "keystone", endpointPath: "/v3",
            responder: ClosureResponder { request, context in
                if request.uri.path.hasPrefix("/sim/"), let control = controlBox.responder {
                    return try await control.respond(to: request, context: context)
                }
                return try await keystone.respond(to: request, context: context)
            },
            faults: nil, host: host, port: configuration.basePort)
        controlBox.set(FaultControl(cloud: self).makeRouter().buildResponder())
        controlBox.setIdentity(identityListener)
    }

    static func makeService(_ kind: SimulatedCloudConfiguration.ServiceKind, store: RegionStore) -> any SimulatedService {
        switch kind {
        case .compute: SimulatedCompute(store: store)
        case .volume: SimulatedBlockStorage(store: store)
        case .image: SimulatedImage(store: store)
        case .network: store.networking
        case .database: SimulatedDatabase(store: store)
        }
    }

    // MARK: Running

    /// Binds every listener, registers the catalog and serves until the task is cancelled.
    public func run() async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.identityListener.supervise() }
                for listener in listeners {
                    group.addTask { try await listener.supervise() }
                }
                group.addTask {
                    try await self.identityListener.bound.wait()
                    for listener in self.listeners { try await listener.bound.wait() }
                    self.registerCatalog()
                    self.ready.open()
                }
                while try await group.next() != nil {}
            }
        } catch {
            ready.open(failure: error)
            throw error
        }
    }

    /// Returns once every listener is bound and the catalog is registered; throws if startup failed.
    public func waitUntilReady() async throws { try await ready.wait() }

    /// Starts a cloud, runs `body` once it is ready, then stops it.
    public static func withRunning<T: Sendable>(
        _ configuration: SimulatedCloudConfiguration = SimulatedCloudConfiguration(),
        _ body: @Sendable (SimulatedCloud) async throws -> T
    ) async throws -> T {
        let cloud = SimulatedCloud(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cloud.run() }
            defer { group.cancelAll() }
            try await cloud.waitUntilReady()
            return try await body(cloud)
        }
    }

    private func registerCatalog() {
        for region in configuration.regions { identity.addRegion(region.name) }
        // The one shared Keystone is listed in every region, as multi-region deployments do, so clients
        // scoped to any region (OS_REGION_NAME=RegionTwo) still find identity for name lookups.
        for region in configuration.regions {
            for interface in ["public", "internal", "admin"] {
                identity.setEndpoint(region: region.name, serviceType: "identity", serviceName: "keystone", interface: interface, url: identityURL)
            }
        }
        for listener in listeners {
            guard let region = listener.region else { continue }
            for interface in ["public", "internal", "admin"] {
                identity.setEndpoint(
                    region: region, serviceType: listener.serviceType, serviceName: listener.serviceName,
                    interface: interface, url: listener.url)
            }
        }
    }

    // MARK: Addresses

    /// Keystone's URL, e.g. `http://127.0.0.1:5000/v3` (valid once ready).
    public var identityURL: String { identityListener.url }

    /// Base URL of the Keystone listener, which also serves `/sim/...` control routes.
    public var controlURL: String { identityListener.baseURL }

    /// The catalog URL of one service of one region (valid once ready).
    public func endpoint(region: String, service: SimulatedCloudConfiguration.ServiceKind) -> String? {
        listeners.first { $0.region == region && $0.serviceType == service.rawValue }?.url
    }

    /// Region -> service type -> URL.
    public func endpoints() -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for listener in listeners {
            guard let region = listener.region else { continue }
            out[region, default: [:]][listener.serviceType] = listener.url
        }
        return out
    }

    // MARK: Faults and state

    /// The fault settings of one region.
    public func faults(region: String) -> FaultInjector? { regionFaults[region] }

    /// The global request ids a region's services were sent.
    public func requestLog(region: String) -> GlobalRequestLog? { regionRequestLogs[region] }

    /// Replaces the faults of one service of one region.
    public func setFault(_ settings: FaultSettings, region: String, service: SimulatedCloudConfiguration.ServiceKind) {
        regionFaults[region]?.set(settings, for: service.rawValue)
    }

    /// Clears every fault in every region.
    public func resetFaults() {
        for injector in regionFaults.values { injector.reset() }
    }

    /// A region's compute/volume/image state, for seeding at scale without HTTP.
    public func store(region: String) -> RegionStore? { regionStores[region] }
}

/// Holds the control responder built after `SimulatedCloud.init` has `self`.
private final class ControlBox: Sendable {
    private let value = Mutex<RouterResponder<BasicRequestContext>?>(nil)
    private let identity = Mutex<Listener?>(nil)
    var responder: RouterResponder<BasicRequestContext>? { value.withLock { $0 } }
    var identityURL: String { identity.withLock { $0?.url ?? "" } }
    func set(_ responder: RouterResponder<BasicRequestContext>) { value.withLock { $0 = responder } }
    func setIdentity(_ listener: Listener) { identity.withLock { $0 = listener } }
}
