import TricircleJobs

/// The part of the gateway a front-end's routes use, made from the runtime once per front-end: where
/// resources live, the pods, merged lists, quotas, jobs, and the timeouts as `Duration`s. A front-end's
/// call helper holds this (and its own forwarders and store tables) instead of the whole runtime.
public struct GatewayServices: Sendable {
    /// Top id -> pod of every routed resource.
    public let routing: RoutingService
    /// The registered pods; AZ -> pod for creates.
    public let pods: PodDirectory
    /// Merged, paged lists across pods.
    public let lister: CrossPodLister
    /// One quota per project over all regions.
    public let quota: QuotaService
    public let jobs: JobEngine
    /// How long a routed call may take, and each pod's part of a merged list.
    public let podTimeout: Duration, listTimeout: Duration

    public init(runtime: GatewayRuntime) {
        routing = runtime.routing
        pods = runtime.podDirectory
        lister = runtime.lister
        quota = QuotaService(runtime: runtime)
        jobs = runtime.jobs
        podTimeout = runtime.config.podTimeout
        listTimeout = runtime.listTimeout
    }
}

/// A front-end's call helper that reaches the gateway through `services`: its routes read
/// `routing`, `pods`, ... directly.
public protocol UsesGatewayServices {
    var services: GatewayServices { get }
}

extension UsesGatewayServices {
    public var routing: RoutingService { services.routing }
    public var pods: PodDirectory { services.pods }
    public var lister: CrossPodLister { services.lister }
    public var quota: QuotaService { services.quota }
    public var jobs: JobEngine { services.jobs }
    public var podTimeout: Duration { services.podTimeout }
    public var listTimeout: Duration { services.listTimeout }
}
