import Hummingbird
import Logging
import TricircleGateway
import TricircleStore

/// The Compute API (Nova v2.1) at the top: version documents, servers routed to their pods and listed
/// across pods, and the catalog part (flavors, key pairs, AZs, limits, quotas) served by `catalog`.
public struct ComputeFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime
    /// Flavors, key pairs, AZs, limits, quota sets.
    public let catalog: ComputeCatalogRoutes
    /// What a boot asks to prepare its pod (image, flavor, key pair, networks).
    public let provisioners: BootProvisioners
    /// Per-pod circuits of Nova (the runtime's, applied by every compute forwarder).
    public let health: PodHealth
    let microversions: ComputeMicroversions

    public init(runtime: GatewayRuntime, catalog: ComputeCatalogRoutes, provisioners: BootProvisioners) {
        self.runtime = runtime
        self.catalog = catalog
        self.provisioners = provisioners
        self.health = runtime.podHealth(serviceType: "compute")
        self.microversions = ComputeMicroversions(runtime: runtime, health: health)
    }
    public var component: GatewayComponents { .compute }
    public var name: String { "compute" }
    public var port: Int { runtime.config.computePort }
    public var serviceType: String { "compute" }
    public var catalogPath: String { "/v2.1" }

    public func makeRouter() -> GatewayRouter {
        let router = runtime.frontEndRouter(format: .fault)
        VersionRoutes(microversions: microversions).addRoutes(to: router.group())
        let authed = runtime.authenticated(router, format: .fault)
            .add(middleware: ComputeVersionMiddleware(microversions: microversions))
        let v = authed.group("/v2.1")
        // Nova also serves the server paths with the project id after the version (older catalogs carry it).
        let withProject = authed.group("/v2.1/:project_id").add(middleware: ProjectPathMiddleware())
        let calls = ComputePodCalls(runtime: runtime, microversions: microversions, health: health, provisioners: provisioners)
        let servers: [any APIRoutes] = [
            ServerListRoutes(calls: calls), ServerCreateRoutes(calls: calls), ServerRoutes(calls: calls),
            ServerActionRoutes(calls: calls), ServerMetadataRoutes(calls: calls), ServerTagRoutes(calls: calls),
            ServerIPRoutes(calls: calls), ServerInterfaceRoutes(calls: calls), ServerVolumeAttachmentRoutes(calls: calls),
            InstanceActionRoutes(calls: calls), ServerSubresourceRoutes(calls: calls),
        ]
        ServerGroupRoutes(calls: calls).addRoutes(to: v)
        // Nova's networking proxies (below 2.36), answered from the top's Networking API.
        let proxy = NeutronProxy(calls: calls)
        for r: any APIRoutes in [SecurityGroupProxyRoutes(proxy: proxy), FloatingIPProxyRoutes(proxy: proxy), NetworkProxyRoutes(proxy: proxy)] {
            r.addRoutes(to: v)
        }
        // The catalog part is served at /v2.1 only.
        let catalogResources: [any APIRoutes] = [
            FlavorRoutes(catalog: catalog), FlavorExtraSpecRoutes(catalog: catalog), FlavorAccessRoutes(catalog: catalog),
            KeypairRoutes(catalog: catalog), AvailabilityZoneRoutes(catalog: catalog), LimitsRoutes(catalog: catalog),
            QuotaSetRoutes(catalog: catalog),
        ]
        // Admin surfaces merged over every pod, Nova's extension list and image proxy (served at /v2.1 only).
        let admin = ComputeAdminCalls(calls: calls)
        var adminResources: [any APIRoutes] = [
            AggregateRoutes(admin: admin), HypervisorRoutes(admin: admin), ServiceRoutes(admin: admin),
            TenantUsageRoutes(admin: admin), ExtensionRoutes(calls: calls),
        ]
        let imageProxy = ComputeImageProxy(calls: calls)
        adminResources += [ImageProxyRoutes(proxy: imageProxy), ImageMetadataRoutes(proxy: imageProxy)]
        for r in catalogResources + adminResources + servers { r.addRoutes(to: v) }
        for r in servers { r.addRoutes(to: withProject) }
        return router
    }
}

/// `/v2.1/{project_id}/...`: the project in the path must be the token's, as Nova checks it.
struct ProjectPathMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let caller = try context.requireCaller()
        if let project = context.parameters.get("project_id"), project != caller.projectID {
            throw APIError(
                .badRequest, "Malformed request URL: URL's project_id '\(project)' doesn't match Context's project_id '\(caller.projectID)'",
                format: .fault)
        }
        return try await next(request, context)
    }
}
