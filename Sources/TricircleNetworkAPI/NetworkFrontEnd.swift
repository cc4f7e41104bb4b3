import Hummingbird
import TricircleGateway

/// The network API at the top. (Skeleton: routes are added by this module's owner.)
public struct NetworkFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) { self.runtime = runtime }
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
