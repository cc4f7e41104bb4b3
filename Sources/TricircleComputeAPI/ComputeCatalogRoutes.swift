import Hummingbird
import TricircleGateway

/// Flavors, key pairs, availability zones, limits and quota sets: what Compute serves from the top's
/// own catalog rather than from one server's pod.
public struct ComputeCatalogRoutes: Sendable {
    public let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) { self.runtime = runtime }

    /// Adds the routes under /v2.1 to an authenticated group.
    public func addRoutes(to group: RouterGroup<GatewayRequestContext>) {}
}
