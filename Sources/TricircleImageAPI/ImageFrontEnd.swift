import Hummingbird
import TricircleGateway

/// The image API at the top. (Skeleton: routes are added by this module's owner.)
public struct ImageFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) { self.runtime = runtime }
    public var component: GatewayComponents { .image }
    public var name: String { "image" }
    public var port: Int { runtime.config.imagePort }
    public var serviceType: String { "image" }
    public var catalogPath: String { "" }

    public func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        _ = router.group().add(middleware: runtime.authMiddleware(format: .glance))
        return router
    }
}
