import Foundation
import OpenStackModels

extension NeutronState {
    static let networkTypes: Set<String> = ["local", "flat", "vlan", "vxlan", "geneve", "gre"]

    mutating func createNetwork(_ body: NetworkCreate, _ caller: NeutronCaller) throws -> Network {
        let project = try owningProject(body.projectID, body.tenantID, caller)
        try checkQuota("network", project)
        try body.checkAdminOnlyAttributes(isAdmin: caller.isAdmin)
        try checkAvailabilityZones(body.availabilityZoneHints)
        let segment = try allocateSegment(
            type: body.providerNetworkType, physnet: body.providerPhysicalNetwork, id: body.providerSegmentationID)
        let defaultMTU: Int
        switch segment.type {
        case "vxlan": defaultMTU = 1450
        case "geneve": defaultMTU = 1442
        case "gre": defaultMTU = 1458
        default: defaultMTU = 1500
        }
        if let mtu = body.mtu, mtu < 68 {
            throw NeutronError.invalidAttribute("mtu", reason: "'\(mtu)' is too small - must be at least '68'")
        }
        let id = Self.newID()
        let network = Network(
            id: id, name: body.name ?? "", description: body.description ?? "", projectID: project,
            adminStateUp: body.adminStateUp ?? true, status: "ACTIVE", shared: body.shared ?? false,
            routerExternal: body.routerExternal ?? false, mtu: body.mtu ?? defaultMTU,
            availabilityZoneHints: body.availabilityZoneHints ?? [], availabilityZones: [],
            providerNetworkType: segment.type, providerPhysicalNetwork: segment.physnet,
            providerSegmentationID: segment.id, portSecurityEnabled: body.portSecurityEnabled ?? true,
            qosPolicyID: body.qosPolicyID, isDefault: body.isDefault ?? false, tags: body.tags ?? [],
            createdAt: timestamp, updatedAt: timestamp, revisionNumber: 1)
        networks[id] = network
        register(id)
        return network
    }

    /// Provider segment of a new network: given by an admin, or a tenant VXLAN VNI.
    private mutating func allocateSegment(type: String?, physnet: String?, id: Int?) throws
        -> (type: String, physnet: String?, id: Int?)
    {
        let type = type ?? "vxlan"
        guard Self.networkTypes.contains(type) else {
            throw NeutronError.invalidInput("network_type value '\(type)' not supported")
        }
        switch type {
        case "local":
            if physnet != nil || id != nil {
                throw NeutronError.invalidInput("local provider network does not accept physical_network or segmentation_id")
            }
            return (type, nil, nil)
        case "flat":
            guard let physnet else { throw NeutronError.invalidInput("physical_network required for flat provider network") }
            if id != nil { throw NeutronError.invalidInput("segmentation_id specified for flat provider network") }
            let key = "flat:\(physnet)"
            if usedVLANs.contains(key) {
                throw NeutronError(status: 409, type: "FlatNetworkInUse",
                                   message: "Unable to create the flat network. Physical network \(physnet) is in use.")
            }
            usedVLANs.insert(key)
            return (type, physnet, nil)
        case "vlan":
            let physnet = physnet ?? "physnet1"
            let vlan: Int
            if let id {
                guard (1...4094).contains(id) else {
                    throw NeutronError.invalidInput("segmentation_id out of range (1 through 4094)")
                }
                guard !usedVLANs.contains("\(physnet):\(id)") else { throw NeutronError.vlanIDInUse(id, physicalNetwork: physnet) }
                vlan = id
            } else {
                guard let free = (1...4094).first(where: { !usedVLANs.contains("\(physnet):\($0)") }) else {
                    throw NeutronError(status: 503, type: "NoNetworkAvailable",
                                       message: "Unable to create the network. No tenant network is available for allocation.")
                }
                vlan = free
            }
            usedVLANs.insert("\(physnet):\(vlan)")
            return (type, physnet, vlan)
        default:
            if physnet != nil { throw NeutronError.invalidInput("provider:physical_network specified for \(type) network") }
            let maxID = type == "gre" ? 4_294_967_295 : 16_777_215
            let vni: Int
            if let id {
                guard (1...maxID).contains(id) else {
                    throw NeutronError.invalidInput("segmentation_id out of range (1 through \(maxID))")
                }
                guard !usedTunnelIDs.contains(id) else { throw NeutronError.tunnelIDInUse(id) }
                vni = id
            } else {
                while usedTunnelIDs.contains(nextTunnelID) { nextTunnelID += 1 }
                vni = nextTunnelID
                nextTunnelID += 1
            }
            usedTunnelIDs.insert(vni)
            return (type, nil, vni)
        }
    }

    private mutating func releaseSegment(_ network: Network) {
        guard let type = network.providerNetworkType else { return }
        switch type {
        case "flat": if let p = network.providerPhysicalNetwork { usedVLANs.remove("flat:\(p)") }
        case "vlan":
            if let p = network.providerPhysicalNetwork, let id = network.providerSegmentationID {
                usedVLANs.remove("\(p):\(id)")
            }
        case "local": break
        default: if let id = network.providerSegmentationID { usedTunnelIDs.remove(id) }
        }
    }

    mutating func updateNetwork(_ id: String, _ body: NetworkUpdate, _ caller: NeutronCaller) throws -> Network {
        var network = try visibleNetwork(id, caller)
        guard caller.isAdmin || network.projectID == caller.projectID else {
            throw NeutronError.policyNotAuthorized("rule:update_network")
        }
        if (body.shared != nil && body.shared != network.shared
            || body.routerExternal != nil && body.routerExternal != network.routerExternal), !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:update_network")
        }
        if body.routerExternal == false, network.routerExternal,
           floatingIPs.values.contains(where: { $0.floatingNetworkID == id })
            || routers.values.contains(where: { $0.externalGatewayInfo?.networkID == id }) {
            throw NeutronError(status: 409, type: "ExternalNetworkInUse",
                               message: "External network \(id) cannot be updated to be made non-external, since it has existing gateway ports.")
        }
        body.apply(to: &network)
        touch(&network.updatedAt, &network.revisionNumber)
        networks[id] = network
        for (subnetID, subnet) in subnets where subnet.networkID == id && subnet.routerExternal != network.routerExternal {
            subnets[subnetID]?.routerExternal = network.routerExternal
        }
        return network
    }

    mutating func deleteNetwork(_ id: String, _ caller: NeutronCaller) throws {
        let network = try visibleNetwork(id, caller)
        guard caller.isAdmin || network.projectID == caller.projectID else {
            // Neutron hides the refusal behind a 404 for networks only visible through sharing.
            throw NeutronError.policyNotAuthorized("rule:delete_network")
        }
        let portIDs = portsByNetwork[id] ?? []
        // DHCP ports go away with the network; anything else keeps it in use.
        let blocking = portIDs.contains { ports[$0]?.deviceOwner != DeviceOwner.dhcp }
        if blocking { throw NeutronError.networkInUse(id) }
        for portID in portIDs { removePortRecord(portID) }
        for subnetID in network.subnets {
            subnets[subnetID] = nil
            ipam[subnetID] = nil
            order[subnetID] = nil
        }
        releaseSegment(network)
        networks[id] = nil
        order[id] = nil
        portsByNetwork[id] = nil
        macsByNetwork[id] = nil
    }

    /// Bumps `updated_at` and `revision_number` as every Neutron update does.
    func touch(_ updatedAt: inout String, _ revision: inout Int) {
        updatedAt = timestamp
        revision += 1
    }

    /// The network as answered: `availability_zones` reflects where it is hosted (here, once it has subnets).
    func rendered(_ network: Network) -> Network {
        var out = network
        out.availabilityZones = network.subnets.isEmpty ? [] : [availabilityZone]
        return out
    }
}
