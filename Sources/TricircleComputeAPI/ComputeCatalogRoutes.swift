import Hummingbird
import TricircleGateway
import TricircleJobs

/// Flavors, key pairs, availability zones, limits and quota sets: what Compute serves from the top's
/// own catalog rather than from one server's pod.
public struct ComputeCatalogRoutes: Sendable {
    public let runtime: GatewayRuntime

    /// Registers this part's job handlers (flavor creation in pods) with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) { self.runtime = runtime }

    /// Maps top flavors to pod flavors for boots (nil: flavor ids pass through unchanged).
    public var flavorMapping: (any FlavorMapping)? { nil }

    /// Makes key pairs present in pods for boots (nil: key names pass through unchanged).
    public var keypairProvisioning: (any KeypairProvisioning)? { nil }

    /// Adds the routes under /v2.1 to an authenticated group.
    public func addRoutes(to group: RouterGroup<GatewayRequestContext>) {}
}
