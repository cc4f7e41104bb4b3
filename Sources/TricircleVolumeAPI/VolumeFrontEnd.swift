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
        // Version documents need no token, as in Cinder.
        VersionRoutes(api: api).addRoutes(to: router.group())
        let authed = runtime.authenticated(router, format: .fault)
        let resources: [any APIRoutes] = [
            VolumeRoutes(api: api), VolumeActionRoutes(api: api), SnapshotRoutes(api: api), VolumeTypeRoutes(api: api),
            VolumeTypeExtraSpecRoutes(api: api), AvailabilityZoneRoutes(api: api), LimitsRoutes(api: api), QuotaSetRoutes(api: api),
            ServiceRoutes(api: api), VolumeExtensionRoutes(api: api), VolumeGroupRoutes(api: api), VolumeTransferRoutes(api: api), VolumeBackupRoutes(api: api),
            VolumeAttachmentRoutes(api: api),
        ]
        // "/v3/{project_id}/..." as the catalog says, and "/v3/..." (project-less URLs, microversion 3.67).
        for v in [authed.group("/v3/:project_id"), authed.group("/v3")] {
            for r in resources { r.addRoutes(to: v) }
        }
        return router
    }
}
