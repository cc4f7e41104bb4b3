import Foundation
import Hummingbird
import OpenStackModels
import Synchronization

/// A simulated Trove (Database v1.0) for one region: instances with lazy BUILD -> ACTIVE transitions and
/// actions, clusters whose members may name other regions, datastores and flavors.
public struct SimulatedDatabase: SimulatedService {
    public var serviceType: String { "database" }
    public var serviceName: String { "trove" }
    /// Trove's catalog URL carries the project: `http://host:port/v1.0/$(project_id)s`.
    public var endpointPath: String { "/v1.0/$(project_id)s" }

    let store: TroveStore

    public init() {
        store = TroveStore()
    }

    public func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        store.state.withLock {
            $0.regionName = context.regionName
            $0.availabilityZone = context.availabilityZone
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
