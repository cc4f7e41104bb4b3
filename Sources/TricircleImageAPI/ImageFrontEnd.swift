import Hummingbird
import TricircleGateway
import TricircleJobs

/// The image API at the top. (Skeleton: routes are added by this module's owner.)
public struct ImageFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime

    /// Registers this module's job handlers (image copies) with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) { self.runtime = runtime }

    /// What a boot uses to make an image present in its pod (nil: image ids pass through unchanged).
    public var imageProvisioner: (any ImageProvisioning)? { nil }
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
