import Hummingbird
import TricircleGateway
import TricircleJobs

/// The volume API at the top. (Skeleton: routes are added by this module's owner.)
public struct VolumeFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime

    /// Registers this module's job handlers with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) { self.runtime = runtime }
    public var component: GatewayComponents { .volume }
    public var name: String { "volume" }
    public var port: Int { runtime.config.volumePort }
    public var serviceType: String { "volumev3" }
    public var catalogPath: String { "/v3/$(project_id)s" }

    public func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        _ = router.group().add(middleware: runtime.authMiddleware(format: .fault))
        return router
    }
}
