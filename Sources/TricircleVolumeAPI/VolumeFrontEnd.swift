import Hummingbird
import TricircleGateway
import TricircleJobs

/// The Block Storage API (Cinder v3) at the top: volumes, actions, snapshots and types routed to the
/// pod that holds them, lists merged and paged across pods.
public struct VolumeFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime
    var api: VolumeAPI

    /// Registers this module's job handlers with `registry` (none: type changes go to every pod in parallel).
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) {
        self.runtime = runtime
        self.api = VolumeAPI(runtime: runtime)
    }
    /// The same front-end, making a volume's `imageRef` present in the volume's pod first (a top image
    /// lives in the home image service; a pod without it would refuse the create). Without one, the
    /// client's image id goes to the pod unchanged.
    public func with(images: any ImageProvisioning) -> VolumeFrontEnd {
        var copy = self
        copy.api.images = images
        return copy
    }

    public var component: GatewayComponents { .volume }
    public var name: String { "volume" }
    /// openstacksdk looks for the official "block-storage" first; the CLI for "volumev3".
    public var serviceTypeAliases: [String] { ["block-storage"] }
    public var port: Int { runtime.config.volumePort }
    public var serviceType: String { "volumev3" }
    public var catalogPath: String { "/v3/$(project_id)s" }

    public func makeRouter() -> GatewayRouter {
        let router = runtime.frontEndRouter(format: .fault)
        let api = self.api
        // Version documents need no token, as in Cinder.
        router.get("/") { request, _ in try await api.versionList(request, status: .multipleChoices) }
        router.get("/v3") { request, _ in try await api.versionList(request, status: .ok) }
        let authed = runtime.authenticated(router, format: .fault)
        // "/v3/{project_id}/..." as the catalog says, and "/v3/..." (project-less URLs, microversion 3.67).
        for prefix in ["/v3/:project_id", "/v3"] {
            let v3 = authed.group(RouterPath(prefix))
            api.addVolumeRoutes(to: v3)
            api.addActionRoutes(to: v3)
            api.addListRoutes(to: v3)
            api.addSnapshotRoutes(to: v3)
            api.addTypeRoutes(to: v3)
            api.addExtraSpecRoutes(to: v3)
            api.addZoneRoutes(to: v3)
            api.addLimitRoutes(to: v3)
            api.addQuotaRoutes(to: v3)
        }
        return router
    }
}
