import Foundation
import OpenStackModels
import TricircleCore
import TricircleStore

/// The networks the gateway itself keeps at the top to join the pods' routers: one east-west bridge per
/// project (the routers of a project's networks in several pods) and one north-south bridge per router
/// with a gateway (its copies outside the external network's pod reach that pod over it).
struct BridgeNetworks: Sendable {
    let service: NetworkService

    /// The project's bridge network and subnet at the top, made once (the networks table's unique key).
    /// Owned by no project, so tenants never see or delete it; the CIDR may repeat across projects.
    static let bridgeCIDR = "100.64.0.0/24"

    func bridge(project: String) async throws -> (Network, Subnet) {
        try await bridgeNetwork(key: "bridge:\(project)", name: "bridge-\(project)", cidr: Self.bridgeCIDR, withGateway: false)
    }

    /// The north-south bridge CIDR: distinct from the east-west bridge, because a pod router may sit on both
    /// and Neutron refuses overlapping subnets on one router.
    static let northSouthBridgeCIDR = "100.64.1.0/24"

    /// The router's north-south bridge at the top, made once (unique key `ns-bridge:<router>`), owned by
    /// no project so tenants never see it. Its gateway address is the external pod router's interface.
    func northSouthBridge(routerID: String) async throws -> (Network, Subnet) {
        try await bridgeNetwork(key: "ns-bridge:\(routerID)", name: "ns-bridge-\(routerID)", cidr: Self.northSouthBridgeCIDR, withGateway: true)
    }

    /// A gateway-owned network with one subnet at the top, made once under `key` (the networks table's
    /// unique key; concurrent callers get the same one), owned by no project. `withGateway` gives the
    /// subnet its first address as gateway (the north-south bridge's external-pod router interface).
    func bridgeNetwork(key: String, name: String, cidr text: String, withGateway: Bool) async throws -> (Network, Subnet) {
        if let doc = try await service.documents.get(.networks, uniqueKey: key) {
            let network = try service.model(Network.self, doc)
            if let subnet = try await service.subnets(ofNetwork: network.id).first { return (network, subnet) }
            return (network, try await bridgeSubnet(network, cidr: text, withGateway: withGateway))
        }
        let now = NetworkService.now()
        let network = Network(
            id: NetworkService.newID(), name: name, projectID: "", providerNetworkType: "vxlan",
            providerSegmentationID: nil, createdAt: now, updatedAt: now)
        do {
            try await service.documents.insert(.networks, NetworkDocument(
                id: network.id, projectID: "", name: network.name, uniqueKey: key, body: try NetworkService.body(network),
                createdAt: now, updatedAt: now))
        } catch StoreError.conflict {
            return try await bridgeNetwork(key: key, name: name, cidr: text, withGateway: withGateway)
        }
        return (network, try await bridgeSubnet(network, cidr: text, withGateway: withGateway))
    }

    private func bridgeSubnet(_ network: Network, cidr text: String, withGateway: Bool) async throws -> Subnet {
        guard let (cidr, _) = IPNetwork.parse(text) else { throw NeutronError.invalidInput("bad bridge CIDR \(text)") }
        let gateway = withGateway ? cidr.address(cidr.first + 1) : nil
        let now = NetworkService.now()
        let plan = SubnetAddressing(cidr: cidr, pools: SubnetAddressing.defaultPools(cidr: cidr, gateway: gateway?.value), gateway: gateway?.value)
        let subnet = Subnet(
            id: NetworkService.newID(), name: network.name + "-subnet", networkID: network.id, projectID: "", ipVersion: 4,
            cidr: cidr.description, gatewayIP: gateway?.description, allocationPools: plan.render(), enableDHCP: false,
            createdAt: now, updatedAt: now)
        // Two callers may both get here for a new bridge: the second subnet would overlap, so it is only written if none exists.
        if let existing = try await service.subnets(ofNetwork: network.id).first { return existing }
        try await service.documents.insert(.subnets, NetworkDocument(
            id: subnet.id, projectID: "", parentID: network.id, name: subnet.name, body: try NetworkService.body(subnet),
            createdAt: now, updatedAt: now))
        return subnet
    }
}
