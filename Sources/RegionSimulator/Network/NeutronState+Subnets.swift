import Foundation
import OpenStackModels

extension NeutronState {
    mutating func createSubnet(_ body: SubnetCreate, _ caller: NeutronCaller) throws -> Subnet {
        guard let networkID = body.networkID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let project = try owningProject(body.projectID, body.tenantID, caller)
        try checkQuota("subnet", project)
        let network = try visibleNetwork(networkID, caller)
        guard caller.isAdmin || network.projectID == caller.projectID else {
            throw NeutronError.policyNotAuthorized("rule:create_subnet and rule:create_subnet:network_id")
        }
        let (cidr, ipVersion) = try SubnetValidation.checkedCIDR(
            body.cidr, ipVersion: body.ipVersion, raMode: body.ipv6RAMode, addressMode: body.ipv6AddressMode)
        let raMode = body.ipv6RAMode, addressMode = body.ipv6AddressMode
        // Neutron refuses overlapping CIDRs on one network (allow_overlapping_ips covers other networks).
        for other in network.subnets.compactMap({ subnets[$0] }) {
            try SubnetValidation.refuseOverlap(cidr, with: other.cidr, networkID: networkID)
        }
        let gateway = try SubnetValidation.gateway(body.gatewayIP, cidr: cidr, ipVersion: ipVersion)
        let pools = try validatePools(body.allocationPools, cidr: cidr, gateway: gateway, subnetID: "")
        let nameservers = try SubnetValidation.nameservers(body.dnsNameservers ?? [])
        let routes = try SubnetValidation.hostRoutes(body.hostRoutes ?? [], version: ipVersion)
        let id = Self.newID()
        let autoAddress = addressMode == "slaac" || addressMode == "dhcpv6-stateless"
        var subnet = Subnet(
            id: id, name: body.name ?? "", description: body.description ?? "", networkID: networkID,
            projectID: project, ipVersion: ipVersion, cidr: cidr.description,
            gatewayIP: gateway.map { cidr.address($0).description }, allocationPools: [],
            dnsNameservers: nameservers, hostRoutes: routes, enableDHCP: body.enableDHCP ?? true,
            ipv6RAMode: raMode, ipv6AddressMode: addressMode, subnetpoolID: body.subnetpoolID,
            segmentID: body.segmentID, serviceTypes: body.serviceTypes ?? [], routerExternal: network.routerExternal,
            tags: body.tags ?? [], createdAt: timestamp, updatedAt: timestamp, revisionNumber: 0)
        subnet.allocationPools = pools.map { render(pool: $0, cidr: cidr) }
        subnets[id] = subnet
        ipam[id] = SubnetIPAM(cidr: cidr, pools: pools, gateway: gateway, autoAddress: autoAddress)
        register(id)
        if var net = networks[networkID] {
            net.subnets.append(id)
            touch(&net.updatedAt, &net.revisionNumber)
            networks[networkID] = net
        }
        if subnet.enableDHCP { serveDHCP(network: networkID, subnet: id) }
        return subnet
    }

    func render(pool: SubnetIPAM.Range, cidr: IPNetwork) -> AllocationPool {
        AllocationPool(start: cidr.address(pool.low).description, end: cidr.address(pool.high).description)
    }

    /// Checks requested pools as Neutron does; nil means "derive from the CIDR and gateway".
    func validatePools(_ requested: [AllocationPool]?, cidr: IPNetwork, gateway: UInt128?, subnetID: String) throws
        -> [SubnetIPAM.Range]
    {
        try SubnetValidation.pools(requested, cidr: cidr, gateway: gateway, subnetID: subnetID).map { SubnetIPAM.Range(low: $0.low, high: $0.high) }
    }

    mutating func updateSubnet(_ id: String, _ body: SubnetUpdate, _ caller: NeutronCaller) throws -> Subnet {
        var subnet = try visibleSubnet(id, caller)
        guard caller.isAdmin || subnet.projectID == caller.projectID else {
            throw NeutronError.policyNotAuthorized("rule:update_subnet")
        }
        guard var book = ipam[id] else { throw NeutronError.subnetNotFound(id) }
        var gateway = book.gateway
        switch body.gatewayIP {
        case .absent: break
        case .null: gateway = nil
        case .value(let text):
            guard let address = IPAddress(text), address.version == subnet.ipVersion else {
                throw NeutronError.invalidAttribute("gateway_ip", reason: "'\(text)' is not a valid IP address")
            }
            if let holder = book.allocated[address.value], ports[holder].map({ !DeviceOwner.routerOwners.contains($0.deviceOwner) }) ?? true {
                throw NeutronError.ipAddressInUse(network: subnet.networkID, ip: text)
            }
            gateway = address.value
        }
        let pools: [SubnetIPAM.Range]
        if let requested = body.allocationPools {
            pools = try validatePools(requested, cidr: book.cidr, gateway: gateway, subnetID: id)
        } else if let gateway, gateway != book.gateway,
                  let pool = book.pools.first(where: { gateway >= $0.low && gateway <= $0.high }) {
            throw NeutronError.gatewayConflictWithAllocationPools(
                book.cidr.address(gateway).description,
                pool: "\(book.cidr.address(pool.low))-\(book.cidr.address(pool.high))")
        } else {
            pools = book.pools
        }
        if let servers = body.dnsNameservers { subnet.dnsNameservers = try SubnetValidation.nameservers(servers) }
        if let routes = body.hostRoutes { subnet.hostRoutes = try SubnetValidation.hostRoutes(routes, version: subnet.ipVersion) }
        if let v = body.name { subnet.name = v }
        if let v = body.description { subnet.description = v }
        if let v = body.serviceTypes { subnet.serviceTypes = v }
        let enablingDHCP = body.enableDHCP == true && !subnet.enableDHCP
        if let v = body.enableDHCP { subnet.enableDHCP = v }
        book.gateway = gateway
        if pools != book.pools { book.setPools(pools) }
        subnet.gatewayIP = gateway.map { book.cidr.address($0).description }
        subnet.allocationPools = book.pools.map { render(pool: $0, cidr: book.cidr) }
        touch(&subnet.updatedAt, &subnet.revisionNumber)
        subnets[id] = subnet
        ipam[id] = book
        if enablingDHCP { serveDHCP(network: subnet.networkID, subnet: id) }
        return subnet
    }

    mutating func deleteSubnet(_ id: String, _ caller: NeutronCaller) throws {
        let subnet = try visibleSubnet(id, caller)
        guard caller.isAdmin || subnet.projectID == caller.projectID else {
            throw NeutronError.policyNotAuthorized("rule:delete_subnet")
        }
        let holders = Set(ipam[id]?.allocated.values.map { $0 } ?? [])
        if holders.contains(where: { ports[$0]?.deviceOwner != DeviceOwner.dhcp }) {
            throw NeutronError.subnetInUse(id)
        }
        // The DHCP agent drops its address on the subnet (and its port when nothing is left).
        for portID in holders {
            guard var port = ports[portID] else { continue }
            port.fixedIPs.removeAll { $0.subnetID == id }
            if port.fixedIPs.isEmpty {
                removePortRecord(portID)
            } else {
                ports[portID] = port
            }
        }
        subnets[id] = nil
        ipam[id] = nil
        order[id] = nil
        if var net = networks[subnet.networkID] {
            net.subnets.removeAll { $0 == id }
            touch(&net.updatedAt, &net.revisionNumber)
            networks[subnet.networkID] = net
        }
    }

    /// What the DHCP agent does when a subnet gets DHCP: claim a port pre-created with device_id
    /// `reserved_dhcp_port` (Tricircle relies on that), or extend/create its own port.
    mutating func serveDHCP(network networkID: String, subnet subnetID: String) {
        let candidates = (portsByNetwork[networkID] ?? []).compactMap { ports[$0] }
            .filter { $0.deviceOwner == DeviceOwner.dhcp }
        let agentDevice = "dhcp\(Self.agentHostID)-\(networkID)"
        let existing = candidates.first(where: { $0.deviceID == "reserved_dhcp_port" }) ?? candidates.first
        if let existingID = existing?.id, var port = ports[existingID] {
            if port.deviceID == "reserved_dhcp_port" {
                port.deviceID = agentDevice
                port.status = "ACTIVE"
            }
            if !port.fixedIPs.contains(where: { $0.subnetID == subnetID }),
               let value = ipam[subnetID]?.allocateNext(for: port.id), let book = ipam[subnetID] {
                port.fixedIPs.append(FixedIP(subnetID: subnetID, ipAddress: book.cidr.address(value).description))
            }
            touch(&port.updatedAt, &port.revisionNumber)
            ports[port.id] = port
            return
        }
        guard let net = networks[networkID], var book = ipam[subnetID] else { return }
        let portID = Self.newID()
        let mac = freshMAC(network: networkID)
        let address: UInt128?
        if book.autoAddress, let eui = MACAddress.eui64(mac) {
            address = book.cidr.first | eui
            if let address { book.take(address, for: portID) }
        } else {
            address = book.allocateNext(for: portID)
        }
        guard let address else { return }
        ipam[subnetID] = book
        let port = NeutronPort(
            id: portID, networkID: networkID, projectID: net.projectID, status: "ACTIVE", macAddress: mac,
            fixedIPs: [FixedIP(subnetID: subnetID, ipAddress: book.cidr.address(address).description)],
            deviceID: agentDevice, deviceOwner: DeviceOwner.dhcp, portSecurityEnabled: false,
            bindingHostID: Self.agentHost, bindingVifDetails: Self.ovsVifDetails, bindingVifType: "ovs",
            createdAt: timestamp, updatedAt: timestamp)
        insertPortRecord(port)
    }

    static let agentHost = "sim-network-node"
    static let agentHostID = "0f6b3a55-7d1c-5e5b-9d5e-6c1f2a3b4c5d"
    static let ovsVifDetails: [String: JSONValue] = [
        "port_filter": true, "connectivity": "l2", "ovs_hybrid_plug": false, "datapath_type": "system",
        "bridge_name": "br-int",
    ]
}
