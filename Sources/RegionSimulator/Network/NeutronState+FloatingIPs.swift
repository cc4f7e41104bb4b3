import Foundation
import OpenStackModels

extension NeutronState {
    mutating func createFloatingIP(_ body: FloatingIPCreate, _ caller: NeutronCaller) throws -> FloatingIP {
        guard let networkID = body.floatingNetworkID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'floating_network_id' not specified")
        }
        let project = try owningProject(body.projectID, body.tenantID, caller)
        try checkQuota("floatingip", project)
        guard let network = networks[networkID], canSee(network: network, caller) else {
            throw NeutronError.networkNotFound(networkID)
        }
        guard network.routerExternal else {
            throw NeutronError.badRequest(resource: "floatingip", "Network \(networkID) is not a valid external network")
        }
        let id = Self.newID()
        // Association is checked before anything is allocated.
        var association: (port: NeutronPort, fixed: String, router: String)?
        if let portID = body.portID {
            association = try resolveAssociation(
                portID: portID, fixedIP: body.fixedIPAddress, externalNetwork: networkID, fipID: id,
                floatingAddress: body.floatingIPAddress ?? "", caller: caller)
        }
        var requested: [FixedIP]?
        if let address = body.floatingIPAddress {
            requested = [FixedIP(subnetID: body.subnetID, ipAddress: address)]
        } else if let subnetID = body.subnetID {
            requested = [FixedIP(subnetID: subnetID)]
        }
        let portID = Self.newID()
        let mac = freshMAC(network: networkID)
        let fixed: [FixedIP]
        do {
            fixed = try allocateAddresses(
                network: network, requested: requested, portID: portID, mac: mac, deviceOwner: DeviceOwner.floatingIP)
        } catch let error as NeutronError where error.type == "IpAddressGenerationFailure" {
            throw NeutronError(status: 400, type: "ExternalIpAddressExhausted",
                               message: "Unable to find any IP address on external network \(networkID).")
        }
        guard let address = fixed.first(where: { $0.ipAddress.flatMap(IPAddress.init)?.version == 4 }) ?? fixed.first,
              let addressText = address.ipAddress else {
            throw NeutronError(status: 400, type: "ExternalIpAddressExhausted",
                               message: "Unable to find any IP address on external network \(networkID).")
        }
        insertPortRecord(NeutronPort(
            id: portID, networkID: networkID, projectID: "", status: "N/A", macAddress: mac, fixedIPs: [address],
            deviceID: id, deviceOwner: DeviceOwner.floatingIP, portSecurityEnabled: false,
            createdAt: timestamp, updatedAt: timestamp))
        let fip = FloatingIP(
            id: id, projectID: project, floatingIPAddress: addressText, floatingNetworkID: networkID,
            routerID: association?.router, portID: association?.port.id, fixedIPAddress: association?.fixed,
            status: association == nil ? "DOWN" : "ACTIVE", description: body.description ?? "",
            qosPolicyID: body.qosPolicyID, tags: body.tags ?? [], createdAt: timestamp, updatedAt: timestamp, revisionNumber: 0)
        floatingIPs[id] = fip
        register(id)
        return fip
    }

    /// Finds the router that connects a port's subnet to the external network, as Neutron does before
    /// associating a floating IP.
    private func resolveAssociation(
        portID: String, fixedIP: String?, externalNetwork: String, fipID: String, floatingAddress: String,
        caller: NeutronCaller
    ) throws -> (port: NeutronPort, fixed: String, router: String) {
        let port = try visiblePort(portID, caller)
        let v4 = port.fixedIPs.filter { $0.ipAddress.flatMap(IPAddress.init)?.version == 4 }
        let chosen: FixedIP
        if let fixedIP {
            guard let match = port.fixedIPs.first(where: { $0.ipAddress == fixedIP }) else {
                throw NeutronError.badRequest(resource: "floatingip", "Port \(portID) does not have fixed ip \(fixedIP)")
            }
            chosen = match
        } else {
            guard let only = v4.first else {
                throw NeutronError.badRequest(
                    resource: "floatingip", "No IPv4 addresses found on port \(portID)")
            }
            if v4.count > 1 {
                throw NeutronError.badRequest(
                    resource: "floatingip",
                    "Port \(portID) has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP")
            }
            chosen = only
        }
        guard let fixedAddress = chosen.ipAddress, let subnetID = chosen.subnetID else {
            throw NeutronError.badRequest(resource: "floatingip", "Port \(portID) does not have fixed ip")
        }
        if let other = floatingIPs.values.first(where: {
            $0.id != fipID && $0.portID == portID && $0.fixedIPAddress == fixedAddress
        }) {
            throw NeutronError.floatingIPPortAlreadyAssociated(
                fip: fipID, fixedIP: fixedAddress, port: portID, floatingIP: floatingAddress,
                net: other.floatingNetworkID)
        }
        let candidates = routers.values.filter { $0.externalGatewayInfo?.networkID == externalNetwork }
            .sorted { (order[$0.id] ?? 0) < (order[$1.id] ?? 0) }
        for router in candidates {
            let attached = ports.values.contains { p in
                p.deviceID == router.id && DeviceOwner.routerOwners.contains(p.deviceOwner)
                    && p.fixedIPs.contains { $0.subnetID == subnetID }
            }
            if attached { return (port, fixedAddress, router.id) }
        }
        throw NeutronError.externalGatewayForFloatingIPNotFound(network: externalNetwork, subnet: subnetID, port: portID)
    }

    mutating func updateFloatingIP(_ id: String, _ body: FloatingIPUpdate, _ caller: NeutronCaller) throws -> FloatingIP {
        var fip = try visibleFloatingIP(id, caller)
        switch body.portID {
        case .absent: break
        case .null:
            fip.portID = nil
            fip.fixedIPAddress = nil
            fip.routerID = nil
            fip.status = "DOWN"
        case .value(let portID):
            let association = try resolveAssociation(
                portID: portID, fixedIP: body.fixedIPAddress, externalNetwork: fip.floatingNetworkID, fipID: id,
                floatingAddress: fip.floatingIPAddress, caller: caller)
            fip.portID = portID
            fip.fixedIPAddress = association.fixed
            fip.routerID = association.router
            fip.status = "ACTIVE"
        }
        if let v = body.description { fip.description = v }
        touch(&fip.updatedAt, &fip.revisionNumber)
        floatingIPs[id] = fip
        return fip
    }

    mutating func deleteFloatingIP(_ id: String, _ caller: NeutronCaller) throws {
        _ = try visibleFloatingIP(id, caller)
        for portID in portsByNetwork[floatingIPs[id]?.floatingNetworkID ?? ""] ?? [] {
            if let port = ports[portID], port.deviceID == id, port.deviceOwner == DeviceOwner.floatingIP {
                removePortRecord(portID)
            }
        }
        floatingIPs[id] = nil
        order[id] = nil
    }
}
