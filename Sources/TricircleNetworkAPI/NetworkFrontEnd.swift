import Hummingbird
import TricircleGateway
import TricircleJobs

/// The network API at the top. (Skeleton: routes are added by this module's owner.)
public struct NetworkFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime

    /// Registers this module's job handlers (keeping pods in step) with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) { self.runtime = runtime }

    /// What a boot uses to materialize networks, ports and security groups in its pod (nil: ids pass through).
    public var networkProvisioner: (any NetworkProvisioning)? { nil }
    public var component: GatewayComponents { .network }
    public var name: String { "network" }
    public var port: Int { runtime.config.networkPort }
    public var serviceType: String { "network" }
    public var catalogPath: String { "" }

    public func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        _ = router.group().add(middleware: runtime.authMiddleware(format: .neutron))
        return router
    }
}
