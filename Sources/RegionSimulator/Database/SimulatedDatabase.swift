import Foundation
import Hummingbird
import OpenStackModels
import Synchronization

/// A simulated Trove (Database v1.0) for one region: instances with lazy BUILD -> ACTIVE transitions and
/// actions, clusters whose members may name other regions, datastores and flavors (its region's Nova
/// flavors when it runs in a region with Nova, as a real Trove's are).
public struct SimulatedDatabase: SimulatedService {
    public var serviceType: String { "database" }
    public var serviceName: String { "trove" }
    /// Trove's catalog URL carries the project: `http://host:port/v1.0/$(project_id)s`.
    public var endpointPath: String { "/v1.0/$(project_id)s" }

    let store: TroveStore
    /// The region's Nova, whose flavors are Trove's (nil: a fixed devstack-like list, for a Trove alone).
    let region: RegionStore?

    public init() {
        store = TroveStore()
        region = nil
    }

    /// A Trove in a region with Nova: its flavors are that Nova's, so a flavor an operator makes or
    /// removes there (another id than the top's for the same flavor) is what this Trove knows.
    public init(store region: RegionStore) {
        store = TroveStore()
        self.region = region
    }

    public func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        let nova = region
        store.state.withLock {
            $0.regionName = context.regionName
            $0.availabilityZone = context.availabilityZone
            // Read under Trove's lock: Nova never takes Trove's, so the order Trove -> compute is safe.
            if let nova { $0.flavorCatalog = { nova.compute.withLock { TroveState.flavors(fromNova: $0.flavors.values) } } }
        }
        let router = Router(context: BasicRequestContext.self)
        TroveAPI(store: store, region: context).register(on: router)
        return router
    }

    /// Number of instances held (all projects, clusters included), for tests and benchmarks.
    public var instanceCount: Int { store.state.withLock { $0.instances.count } }
}

/// The state of one simulated Trove, behind one lock.
final class TroveStore: Sendable {
    let state = Mutex(TroveState())
    /// Quota limits set through `/mgmt/quotas` (project -> resource -> limit; unset: unlimited).
    let quotas = Mutex<[String: [String: Int]]>([:])
}
