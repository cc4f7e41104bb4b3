import Foundation
import Hummingbird
import OpenStackModels
import Synchronization

/// A simulated Neutron (Networking v2.0) for one region: networks, subnets with IP allocation, ports,
/// routers, security groups, floating IPs, with Neutron's filters, paging and error bodies.
public struct SimulatedNetworking: SimulatedService {
    public var serviceType: String { "network" }
    public var serviceName: String { "neutron" }
    /// Neutron's catalog URL is the bare host:port; clients append `/v2.0`.
    public var endpointPath: String { "" }

    let store: NeutronStore

    public init() {
        store = NeutronStore()
    }

    public func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        store.state.withLock { $0.availabilityZone = context.availabilityZone }
        let router = Router(context: BasicRequestContext.self)
        NeutronAPI(store: store, region: context).register(on: router)
        return router
    }

    /// Number of ports held (all projects), for tests and benchmarks.
    public var portCount: Int { store.state.withLock { $0.ports.count } }

    /// Creates a shared-nothing external network with one IPv4 subnet, as an operator would for
    /// floating IPs; returns (network id, subnet id). Used by the sandbox and tests.
    public func createExternalNetwork(
        name: String = "public", cidr: String = "172.24.4.0/24", projectID: String = "admin"
    ) throws -> (networkID: String, subnetID: String) {
        let admin = NeutronCaller(projectID: projectID, isAdmin: true)
        return try store.state.withLock { state in
            state.now = Date()
            let network = try state.createNetwork(
                NetworkCreate(name: name, routerExternal: true, providerNetworkType: "flat",
                              providerPhysicalNetwork: "public-\(name)"), admin)
            let subnet = try state.createSubnet(
                SubnetCreate(networkID: network.id, cidr: cidr, name: "\(name)-subnet", enableDHCP: false), admin)
            return (network.id, subnet.id)
        }
    }
}

/// The state of one simulated Neutron, behind one lock (operations are short and synchronous).
final class NeutronStore: Sendable {
    let state = Mutex(NeutronState(availabilityZone: "nova"))
}
