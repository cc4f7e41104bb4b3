import Hummingbird
import TricircleGateway
import TricircleJobs

/// The Database API (Trove v1.0) at the top: instances placed in any region's Trove (by `region_name`,
/// an availability zone or the default), checked there first, routed by id afterwards; lists merged and
/// paged across pods.
public struct DatabaseFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime
    var api: DatabaseAPI

    /// Registers this module's job handlers with `registry` (none: image copies are the Image API's jobs).
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) {
        self.runtime = runtime
        self.api = DatabaseAPI(runtime: runtime)
    }

    /// The same front-end, mapping a `flavorRef` (a top flavor) to each pod's flavor as a boot does.
    public func with(flavors: any FlavorMapping) -> DatabaseFrontEnd {
        var copy = self
        copy.api.flavors = flavors
        return copy
    }

    /// The same front-end, reading `nics` as top networks and ports, made ready in the instance's region
    /// as for a boot.
    public func with(network: any NetworkProvisioning) -> DatabaseFrontEnd {
        var copy = self
        copy.api.network = network
        return copy
    }

    public var component: GatewayComponents { .database }
    public var name: String { "database" }
    public var port: Int { runtime.config.databasePort }
    public var serviceType: String { "database" }
    public var catalogPath: String { "/v1.0/$(project_id)s" }

    public func makeRouter() -> GatewayRouter {
        let router = runtime.frontEndRouter(format: .trove)
        // Version documents need no token, as in Trove.
        VersionRoutes(api: api).addRoutes(to: router.group())
        let authed = runtime.authenticated(router, format: .trove)
        let resources: [any APIRoutes] = [
            InstanceListRoutes(api: api), InstanceCreateRoutes(api: api), InstanceRoutes(api: api),
            DatastoreRoutes(api: api), PlacementRoutes(api: api), FlavorRoutes(api: api), ClusterRoutes(api: api),
            BackupRoutes(api: api), QuotaRoutes(api: api),
            ConfigurationRoutes(api: api), ConfigurationParameterRoutes(api: api), VolumeTypeRoutes(api: api),
        ]
        let v = authed.group("/v1.0/:project_id")
        for r in resources { r.addRoutes(to: v) }
        return router
    }
}
