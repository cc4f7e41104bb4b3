import Foundation
import OpenStackModels

extension NeutronState {
    mutating func createPort(_ body: PortCreate, _ caller: NeutronCaller) throws -> NeutronPort {
        guard let networkID = body.networkID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let project = try owningProject(body.projectID, body.tenantID, caller)
        try checkQuota("port", project)
        let network = try visibleNetwork(networkID, caller)
        if !caller.isAdmin, network.projectID != caller.projectID, !network.shared {
            throw NeutronError.policyNotAuthorized("rule:create_port and rule:create_port:network")
        }
        if !caller.isAdmin,
           body.bindingHostID != nil || body.bindingProfile != nil {
            throw NeutronError.policyNotAuthorized("rule:create_port and rule:create_port:binding:host_id")
        }
        let owner = body.deviceOwner ?? ""
        let reservedDHCP = owner == DeviceOwner.dhcp && body.deviceID == "reserved_dhcp_port"
        if reservedDHCP {
            // The real DHCP agent runs after the API call; a port reserved for it (Tricircle does this)
            // wins over the port this simulator's agent made synchronously, which is dropped.
            for portID in portsByNetwork[networkID] ?? [] {
                if let existing = ports[portID], existing.deviceOwner == DeviceOwner.dhcp,
                   existing.deviceID.hasPrefix("dhcp\(Self.agentHostID)") {
                    removePortRecord(portID)
                }
            }
        }
        let mac = try requestedMAC(body.macAddress, network: networkID) ?? freshMAC(network: networkID)
        let portSecurity = body.portSecurityEnabled ?? network.portSecurityEnabled ?? true
        let groups = try securityGroupsForPort(
            body.securityGroups, project: project, owner: owner, portSecurity: portSecurity, caller: caller)
        let pairs = try validatePairs(body.allowedAddressPairs ?? [], mac: mac, portSecurity: portSecurity)
        let portID = Self.newID()
        let fixedIPs = try allocateAddresses(
            network: network, requested: body.fixedIPs, portID: portID, mac: mac, deviceOwner: owner)
        let host = body.bindingHostID ?? ""
        let servedSubnets = network.subnets.filter { subnets[$0]?.enableDHCP == true }
        // With DHCP already enabled the agent claims the reserved port at once.
        let deviceID = reservedDHCP && !servedSubnets.isEmpty
            ? "dhcp\(Self.agentHostID)-\(networkID)" : body.deviceID ?? ""
        let port = NeutronPort(
            id: portID, name: body.name ?? "", description: body.description ?? "", networkID: networkID,
            projectID: project, adminStateUp: body.adminStateUp ?? true,
            status: !host.isEmpty && !deviceID.isEmpty ? "ACTIVE" : "DOWN", macAddress: mac, fixedIPs: fixedIPs,
            deviceID: deviceID, deviceOwner: owner, securityGroups: groups, allowedAddressPairs: pairs,
            extraDHCPOpts: body.extraDHCPOpts ?? [], portSecurityEnabled: portSecurity, bindingHostID: host,
            bindingProfile: body.bindingProfile ?? [:], bindingVifDetails: host.isEmpty ? [:] : Self.ovsVifDetails,
            bindingVifType: host.isEmpty ? "unbound" : "ovs", bindingVnicType: body.bindingVnicType ?? "normal",
            qosPolicyID: body.qosPolicyID, tags: body.tags ?? [], createdAt: timestamp, updatedAt: timestamp,
            revisionNumber: 1)
        insertPortRecord(port)
        return port
    }

    mutating func updatePort(_ id: String, _ body: PortUpdate, _ caller: NeutronCaller) throws -> NeutronPort {
        var port = try visiblePort(id, caller)
        if !caller.isAdmin, body.bindingHostID != nil || body.bindingProfile != nil {
            throw NeutronError.policyNotAuthorized("rule:update_port and rule:update_port:binding:host_id")
        }
        guard let network = networks[port.networkID] else { throw NeutronError.networkNotFound(port.networkID) }
        if let mac = body.macAddress, MACAddress.normalize(mac) != port.macAddress {
            if !caller.isAdmin { throw NeutronError.policyNotAuthorized("rule:update_port:mac_address") }
            guard let normal = try requestedMAC(mac, network: port.networkID) else { throw NeutronError.portNotFound(id) }
            macsByNetwork[port.networkID]?.remove(port.macAddress)
            macsByNetwork[port.networkID, default: []].insert(normal)
            port.macAddress = normal
        }
        let portSecurity = body.portSecurityEnabled ?? port.portSecurityEnabled ?? true
        if let groups = body.securityGroups {
            port.securityGroups = try securityGroupsForPort(
                groups, project: port.projectID, owner: port.deviceOwner, portSecurity: portSecurity, caller: caller)
        } else if !portSecurity, !port.securityGroups.isEmpty {
            throw NeutronError(status: 409, type: "PortSecurityPortHasSecurityGroup",
                               message: "Port has security group associated. Cannot disable port security or IP address until security group is removed")
        }
        if let pairs = body.allowedAddressPairs {
            port.allowedAddressPairs = try validatePairs(pairs, mac: port.macAddress, portSecurity: portSecurity)
        } else if !portSecurity, !port.allowedAddressPairs.isEmpty {
            throw NeutronError(status: 409, type: "AddressPairAndPortSecurityRequired",
                               message: "Port Security must be enabled in order to have allowed address pairs on a port.")
        }
        port.portSecurityEnabled = portSecurity
        if let requested = body.fixedIPs {
            let old = port.fixedIPs
            releaseAddresses(of: port)
            do {
                port.fixedIPs = try allocateAddresses(
                    network: network, requested: requested, portID: id, mac: port.macAddress,
                    deviceOwner: body.deviceOwner ?? port.deviceOwner)
            } catch {
                retake(old, portID: id)
                throw error
            }
        }
        body.applyPlainAttributes(to: &port)
        if let host = body.bindingHostID {
            port.bindingHostID = host
            port.bindingVifType = host.isEmpty ? "unbound" : "ovs"
            port.bindingVifDetails = host.isEmpty ? [:] : Self.ovsVifDetails
        }
        port.status = !port.bindingHostID.isEmpty && !port.deviceID.isEmpty ? "ACTIVE" : "DOWN"
        if port.deviceOwner == DeviceOwner.dhcp || DeviceOwner.routerOwners.contains(port.deviceOwner) {
            port.status = "ACTIVE"
        }
        touch(&port.updatedAt, &port.revisionNumber)
        ports[id] = port
        return port
    }

    mutating func deletePort(_ id: String, _ caller: NeutronCaller) throws {
        let port = try visiblePort(id, caller)
        if DeviceOwner.routerOwners.contains(port.deviceOwner) || port.deviceOwner == DeviceOwner.routerGateway
            || port.deviceOwner == DeviceOwner.floatingIP, routers[port.deviceID] != nil || floatingIPs[port.deviceID] != nil {
            throw NeutronError.servicePortInUse(port: id, reason: "has device owner \(port.deviceOwner)")
        }
        removePortRecord(id)
    }

    // MARK: Records

    mutating func insertPortRecord(_ port: NeutronPort) {
        ports[port.id] = port
        register(port.id)
        portsByNetwork[port.networkID, default: []].insert(port.id)
        macsByNetwork[port.networkID, default: []].insert(port.macAddress)
    }

    /// Drops a port with its addresses and MAC; floating IPs on it are disassociated.
    mutating func removePortRecord(_ id: String) {
        guard let port = ports[id] else { return }
        releaseAddresses(of: port)
        ports[id] = nil
        order[id] = nil
        portsByNetwork[port.networkID]?.remove(id)
        macsByNetwork[port.networkID]?.remove(port.macAddress)
        for (fipID, var fip) in floatingIPs where fip.portID == id {
            fip.portID = nil
            fip.fixedIPAddress = nil
            fip.routerID = nil
            fip.status = "DOWN"
            touch(&fip.updatedAt, &fip.revisionNumber)
            floatingIPs[fipID] = fip
        }
    }

    mutating func releaseAddresses(of port: NeutronPort) {
        for fixed in port.fixedIPs {
            guard let subnetID = fixed.subnetID, let text = fixed.ipAddress, let address = IPAddress(text) else { continue }
            ipam[subnetID]?.release(address.value)
        }
    }

    private mutating func retake(_ fixedIPs: [FixedIP], portID: String) {
        for fixed in fixedIPs {
            guard let subnetID = fixed.subnetID, let text = fixed.ipAddress, let address = IPAddress(text) else { continue }
            ipam[subnetID]?.take(address.value, for: portID)
        }
    }

    func freshMAC(network: String) -> String {
        let used = macsByNetwork[network] ?? []
        while true {
            let mac = MACAddress.random()
            if !used.contains(mac) { return mac }
        }
    }

    func requestedMAC(_ text: String?, network: String) throws -> String? {
        guard let text else { return nil }
        guard let mac = MACAddress.normalize(text) else {
            throw NeutronError.invalidAttribute("mac_address", reason: "'\(text)' is not a valid MAC address")
        }
        if macsByNetwork[network]?.contains(mac) == true { throw NeutronError.macAddressInUse(network: network, mac: mac) }
        return mac
    }

    private mutating func securityGroupsForPort(
        _ requested: [String]?, project: String, owner: String, portSecurity: Bool, caller: NeutronCaller
    ) throws -> [String] {
        if let requested {
            if !requested.isEmpty, !portSecurity {
                throw NeutronError(status: 400, type: "PortSecurityAndIPRequiredForSecurityGroups",
                                   message: "Port security must be enabled and port must have an IP address in order to use security groups.")
            }
            var out: [String] = []
            for id in requested where !out.contains(id) {
                let group = try visibleSecurityGroup(id, NeutronCaller(projectID: project, isAdmin: caller.isAdmin))
                out.append(group.id)
            }
            return out
        }
        // Neutron gives new VM ports the project's default group; its own ports get none.
        guard portSecurity, !owner.hasPrefix("network:") else { return [] }
        return [ensureDefaultSecurityGroup(project)]
    }

    private func validatePairs(_ pairs: [AllowedAddressPair], mac: String, portSecurity: Bool) throws -> [AllowedAddressPair] {
        guard !pairs.isEmpty else { return [] }
        guard portSecurity else {
            throw NeutronError(status: 409, type: "AddressPairAndPortSecurityRequired",
                               message: "Port Security must be enabled in order to have allowed address pairs on a port.")
        }
        var out: [AllowedAddressPair] = []
        for pair in pairs {
            guard IPAddress(pair.ipAddress) != nil || IPNetwork.parse(pair.ipAddress) != nil else {
                throw NeutronError.invalidAttribute("allowed_address_pairs", reason: "'\(pair.ipAddress)' is not a valid IP address")
            }
            var pairMAC = mac
            if let given = pair.macAddress {
                guard let normal = MACAddress.normalize(given) else {
                    throw NeutronError.invalidAttribute("allowed_address_pairs", reason: "'\(given)' is not a valid MAC address")
                }
                pairMAC = normal
            }
            let normalized = AllowedAddressPair(ipAddress: pair.ipAddress, macAddress: pairMAC)
            if out.contains(normalized) {
                throw NeutronError(status: 400, type: "DuplicateAddressPairInRequest",
                                   message: "Request contains duplicate address pair: mac_address \(pairMAC) ip_address \(pair.ipAddress).")
            }
            out.append(normalized)
        }
        return out
    }

    // MARK: Addresses

    /// Gives a port its addresses: the requested ones, or Neutron's automatic choice (one IPv4 from the
    /// first subnet with room, SLAAC addresses on every auto-address IPv6 subnet, one stateful IPv6).
    /// Nothing is left taken when it fails.
    mutating func allocateAddresses(
        network: Network, requested: [FixedIP]?, portID: String, mac: String, deviceOwner: String
    ) throws -> [FixedIP] {
        var taken: [(String, UInt128)] = []
        func rollback(_ state: inout NeutronState) {
            for (subnetID, value) in taken { state.ipam[subnetID]?.release(value) }
        }
        let networkSubnets = network.subnets
        do {
            if let requested {
                var automatic: [String] = []
                for entry in requested {
                    if let text = entry.ipAddress {
                        guard let address = IPAddress(text) else {
                            throw NeutronError.invalidAttribute("fixed_ips", reason: "'\(text)' is not a valid IP address")
                        }
                        let subnetID: String
                        if let given = entry.subnetID {
                            guard networkSubnets.contains(given), let book = ipam[given] else {
                                throw NeutronError.invalidInput(
                                    "Failed to create port on network \(network.id), because fixed_ips included invalid subnet \(given)")
                            }
                            guard book.cidr.contains(address) else { throw NeutronError.invalidIPForSubnet(text) }
                            subnetID = given
                        } else {
                            guard let match = networkSubnets.first(where: { ipam[$0]?.cidr.contains(address) == true }) else {
                                throw NeutronError.invalidIPForNetwork(text)
                            }
                            subnetID = match
                        }
                        guard let book = ipam[subnetID] else { throw NeutronError.subnetNotFound(subnetID) }
                        if book.autoAddress, !DeviceOwner.routerOwners.contains(deviceOwner) {
                            throw NeutronError.invalidInput(
                                "IPv6 address \(text) cannot be directly assigned to a port on subnet \(subnetID) since the subnet is configured for automatic addresses")
                        }
                        guard book.isUsable(address.value) else { throw NeutronError.invalidIPForSubnet(text) }
                        if book.allocated[address.value] != nil {
                            throw NeutronError.ipAddressAlreadyAllocated(ip: address.description, subnet: subnetID)
                        }
                        if address.value == book.gateway, !DeviceOwner.routerOwners.contains(deviceOwner),
                           deviceOwner != DeviceOwner.routerGateway {
                            throw NeutronError.ipAddressInUse(network: network.id, ip: address.description)
                        }
                        // Mutate in place: copying the book out would copy its allocation table.
                        ipam[subnetID]?.take(address.value, for: portID)
                        taken.append((subnetID, address.value))
                    } else if let given = entry.subnetID {
                        guard networkSubnets.contains(given), ipam[given] != nil else {
                            throw NeutronError.invalidInput(
                                "Failed to create port on network \(network.id), because fixed_ips included invalid subnet \(given)")
                        }
                        automatic.append(given)
                    } else {
                        throw NeutronError.invalidAttribute("fixed_ips", reason: "Exactly one of 'subnet_id' or 'ip_address' must be given")
                    }
                }
                for subnetID in automatic {
                    guard let value = try allocateOne(subnetID, portID: portID, mac: mac, network: network.id) else {
                        throw NeutronError.ipAddressGenerationFailure(network: network.id)
                    }
                    taken.append((subnetID, value))
                }
            } else {
                var gotV4 = false, hasV4 = false, gotStateful6 = false, hasStateful6 = false
                for subnetID in networkSubnets {
                    guard let book = ipam[subnetID] else { continue }
                    if book.cidr.version == 4 {
                        hasV4 = true
                        if gotV4 || book.isExhausted { continue }
                        if let value = try allocateOne(subnetID, portID: portID, mac: mac, network: network.id) {
                            taken.append((subnetID, value))
                            gotV4 = true
                        }
                    } else if book.autoAddress {
                        if DeviceOwner.routerOwners.contains(deviceOwner) { continue }
                        if let value = try allocateOne(subnetID, portID: portID, mac: mac, network: network.id) {
                            taken.append((subnetID, value))
                        }
                    } else {
                        hasStateful6 = true
                        if gotStateful6 || book.isExhausted { continue }
                        if let value = try allocateOne(subnetID, portID: portID, mac: mac, network: network.id) {
                            taken.append((subnetID, value))
                            gotStateful6 = true
                        }
                    }
                }
                if hasV4 && !gotV4 || hasStateful6 && !gotStateful6 && !gotV4 {
                    throw NeutronError.ipAddressGenerationFailure(network: network.id)
                }
            }
        } catch {
            rollback(&self)
            throw error
        }
        return taken.compactMap { subnetID, value in
            guard let book = ipam[subnetID] else { return nil }
            return FixedIP(subnetID: subnetID, ipAddress: book.cidr.address(value).description)
        }
    }

    /// One automatic address on a subnet (EUI-64 on SLAAC subnets); nil when the pools are exhausted.
    private mutating func allocateOne(_ subnetID: String, portID: String, mac: String, network: String) throws -> UInt128? {
        guard let book = ipam[subnetID] else { return nil }
        if book.autoAddress {
            guard let eui = MACAddress.eui64(mac) else { return nil }
            let value = book.cidr.first | eui
            if book.allocated[value] != nil {
                throw NeutronError.ipAddressAlreadyAllocated(ip: book.cidr.address(value).description, subnet: subnetID)
            }
            ipam[subnetID]?.take(value, for: portID)
            return value
        }
        // In place, so the allocation table is not copied.
        let value = ipam[subnetID]?.allocateNext(for: portID)
        return value
    }
}
