import Hummingbird
import TricircleGateway

/// The compute API at the top. (Skeleton: routes are added by this module's owner.)
public struct ComputeFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime
    /// Flavors, key pairs, AZs, limits, quota sets.
    public let catalog: ComputeCatalogRoutes
    /// What a boot asks to prepare its pod (image, flavor, key pair, networks).
    public let provisioners: BootProvisioners

    public init(runtime: GatewayRuntime, catalog: ComputeCatalogRoutes, provisioners: BootProvisioners) {
        self.runtime = runtime
        self.catalog = catalog
        self.provisioners = provisioners
    }
    public var component: GatewayComponents { .compute }
    public var name: String { "compute" }
    public var port: Int { runtime.config.computePort }
    public var serviceType: String { "compute" }
    public var catalogPath: String { "/v2.1" }

    public func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        let protected = router.group().add(middleware: runtime.authMiddleware(format: .fault))
        catalog.addRoutes(to: protected)
        return router
    }
}
