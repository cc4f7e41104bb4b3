import Foundation
import OpenStackModels

/// Who is calling: the token's project and whether it is an admin.
struct NeutronCaller: Sendable {
    var projectID: String
    var isAdmin: Bool
}

/// Device owners Neutron itself uses.
enum DeviceOwner {
    static let dhcp = "network:dhcp"
    static let routerInterface = "network:router_interface"
    static let routerGateway = "network:router_gateway"
    static let floatingIP = "network:floatingip"
    static let routerOwners: Set<String> = [
        routerInterface, "network:router_interface_distributed", "network:ha_router_replicated_interface",
    ]
}

/// One region's Neutron database, kept behind a mutex by `SimulatedNetworking`.
///
/// Every mutating operation validates first and mutates after, so a refused request leaves nothing
/// half-created (bulk creates restore a snapshot instead).
struct NeutronState: Sendable {
    var availabilityZone: String
    var now: Date = Date()

    var networks: [String: Network] = [:]
    var subnets: [String: Subnet] = [:]
    var ipam: [String: SubnetIPAM] = [:]
    var ports: [String: NeutronPort] = [:]
    var routers: [String: NeutronRouter] = [:]
    var securityGroups: [String: SecurityGroup] = [:]
    var rules: [String: SecurityGroupRule] = [:]
    var floatingIPs: [String: FloatingIP] = [:]

    /// Creation sequence of every resource, for stable default ordering.
    var order: [String: UInt64] = [:]
    var sequence: UInt64 = 0
    /// Project -> its `default` security group.
    var defaultSecurityGroups: [String: String] = [:]
    var portsByNetwork: [String: Set<String>] = [:]
    var macsByNetwork: [String: Set<String>] = [:]
    var usedTunnelIDs: Set<Int> = []
    var nextTunnelID = 1
    var usedVLANs: Set<String> = []
    /// Project -> resource -> limit set through the quotas API.
    var quotas: [String: [String: Int]] = [:]

    init(availabilityZone: String) {
        self.availabilityZone = availabilityZone
    }

    var timestamp: String { NeutronTimestamp.string(now) }

    static func newID() -> String { UUID().uuidString.lowercased() }

    mutating func register(_ id: String) {
        sequence += 1
        order[id] = sequence
    }

    // MARK: Visibility

    func canSee(network: Network, _ caller: NeutronCaller) -> Bool {
        caller.isAdmin || network.projectID == caller.projectID || network.shared || network.routerExternal
    }

    func visibleNetwork(_ id: String, _ caller: NeutronCaller) throws -> Network {
        guard let network = networks[id], canSee(network: network, caller) else { throw NeutronError.networkNotFound(id) }
        return network
    }

    func canSee(subnet: Subnet, _ caller: NeutronCaller) -> Bool {
        if caller.isAdmin || subnet.projectID == caller.projectID { return true }
        return networks[subnet.networkID]?.shared ?? false
    }

    func visibleSubnet(_ id: String, _ caller: NeutronCaller) throws -> Subnet {
        guard let subnet = subnets[id], canSee(subnet: subnet, caller) else { throw NeutronError.subnetNotFound(id) }
        return subnet
    }

    func canSee(port: NeutronPort, _ caller: NeutronCaller) -> Bool {
        caller.isAdmin || port.projectID == caller.projectID
            || networks[port.networkID]?.projectID == caller.projectID
    }

    func visiblePort(_ id: String, _ caller: NeutronCaller) throws -> NeutronPort {
        guard let port = ports[id], canSee(port: port, caller) else { throw NeutronError.portNotFound(id) }
        return port
    }

    func visibleRouter(_ id: String, _ caller: NeutronCaller) throws -> NeutronRouter {
        guard let router = routers[id], caller.isAdmin || router.projectID == caller.projectID else {
            throw NeutronError.routerNotFound(id)
        }
        return router
    }

    func visibleSecurityGroup(_ id: String, _ caller: NeutronCaller) throws -> SecurityGroup {
        guard let group = securityGroups[id], caller.isAdmin || group.projectID == caller.projectID else {
            throw NeutronError.securityGroupNotFound(id)
        }
        return group
    }

    func canSee(rule: SecurityGroupRule, _ caller: NeutronCaller) -> Bool {
        caller.isAdmin || rule.projectID == caller.projectID
            || securityGroups[rule.securityGroupID]?.projectID == caller.projectID
    }

    func visibleFloatingIP(_ id: String, _ caller: NeutronCaller) throws -> FloatingIP {
        guard let fip = floatingIPs[id], caller.isAdmin || fip.projectID == caller.projectID else {
            throw NeutronError.floatingIPNotFound(id)
        }
        return fip
    }

    /// The project a create acts for: the caller's, or (admin only) the one named in the body.
    func owningProject(_ projectID: String?, _ tenantID: String?, _ caller: NeutronCaller) throws -> String {
        if let projectID, let tenantID, projectID != tenantID {
            throw NeutronError.httpBadRequest("'project_id' and 'tenant_id' do not match")
        }
        guard let requested = projectID ?? tenantID, requested != caller.projectID else { return caller.projectID }
        guard caller.isAdmin else {
            throw NeutronError.httpBadRequest(
                "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
        }
        return requested
    }

    /// Validates `availability_zone_hints` against the zones this region offers.
    func checkAvailabilityZones(_ hints: [String]?) throws {
        for hint in hints ?? [] where hint != availabilityZone {
            throw NeutronError(
                status: 404, type: "AvailabilityZoneNotFound", message: "AvailabilityZone \(hint) could not be found.")
        }
    }
}
