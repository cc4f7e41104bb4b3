import Foundation
import OpenStackModels

extension NeutronState {
    mutating func createRouter(_ body: RouterCreate, _ caller: NeutronCaller) throws -> NeutronRouter {
        let project = try owningProject(body.projectID, body.tenantID, caller)
        try checkQuota("router", project)
        try checkAvailabilityZones(body.availabilityZoneHints)
        if (body.distributed != nil || body.ha != nil), !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:create_router and rule:create_router:distributed")
        }
        let id = Self.newID()
        var router = NeutronRouter(
            id: id, name: body.name ?? "", description: body.description ?? "", projectID: project,
            adminStateUp: body.adminStateUp ?? true, status: "ACTIVE",
            availabilityZoneHints: body.availabilityZoneHints ?? [], availabilityZones: [availabilityZone],
            distributed: body.distributed ?? false, ha: body.ha ?? false, flavorID: body.flavorID,
            tags: body.tags ?? [], createdAt: timestamp, updatedAt: timestamp, revisionNumber: 1)
        if let info = body.externalGatewayInfo.value {
            router.externalGatewayInfo = try setGateway(routerID: id, info, caller)
        }
        routers[id] = router
        register(id)
        return router
    }

    /// Creates the gateway port on the external network; returns the info to store.
    private mutating func setGateway(routerID: String, _ info: ExternalGatewayInfo, _ caller: NeutronCaller) throws
        -> ExternalGatewayInfo
    {
        guard let network = networks[info.networkID], canSee(network: network, caller) else {
            throw NeutronError.networkNotFound(info.networkID)
        }
        guard network.routerExternal else {
            throw NeutronError.badRequest(resource: "router", "Network \(info.networkID) is not an external network")
        }
        // As Neutron: a gateway never shares a subnet with one of the router's interfaces.
        for entry in routers[routerID].map(connectedSubnets(router:)) ?? [] where entry.port.deviceOwner != DeviceOwner.routerGateway
            && subnets[entry.subnet]?.networkID == network.id {
            throw NeutronError.badRequest(resource: "router", "Router already has a port on subnet \(entry.subnet)")
        }
        if info.enableSnat != nil, !caller.isAdmin, info.enableSnat == false {
            throw NeutronError.policyNotAuthorized("rule:create_router:external_gateway_info:enable_snat")
        }
        let portID = Self.newID()
        let mac = freshMAC(network: network.id)
        let fixed = try allocateAddresses(
            network: network, requested: info.externalFixedIPs, portID: portID, mac: mac,
            deviceOwner: DeviceOwner.routerGateway)
        insertPortRecord(NeutronPort(
            id: portID, networkID: network.id, projectID: "", status: "ACTIVE", macAddress: mac, fixedIPs: fixed,
            deviceID: routerID, deviceOwner: DeviceOwner.routerGateway, portSecurityEnabled: false,
            bindingHostID: Self.agentHost, bindingVifDetails: Self.ovsVifDetails, bindingVifType: "ovs",
            createdAt: timestamp, updatedAt: timestamp))
        return ExternalGatewayInfo(networkID: network.id, enableSnat: info.enableSnat ?? true, externalFixedIPs: fixed)
    }

    private mutating func clearGateway(_ router: NeutronRouter) throws {
        guard let info = router.externalGatewayInfo else { return }
        if floatingIPs.values.contains(where: { $0.routerID == router.id }) {
            throw NeutronError(status: 409, type: "RouterExternalGatewayInUseByFloatingIp",
                               message: "Gateway cannot be updated for router \(router.id), since a gateway to external network \(info.networkID) is required by one or more floating IPs.")
        }
        for portID in portsByNetwork[info.networkID] ?? [] {
            if let port = ports[portID], port.deviceID == router.id, port.deviceOwner == DeviceOwner.routerGateway {
                removePortRecord(portID)
            }
        }
    }

    mutating func updateRouter(_ id: String, _ body: RouterUpdate, _ caller: NeutronCaller) throws -> NeutronRouter {
        var router = try visibleRouter(id, caller)
        if (body.distributed != nil || body.ha != nil), !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:update_router and rule:update_router:distributed")
        }
        if let routes = body.routes {
            router.routes = try validateRoutes(routes, router: router)
        }
        switch body.externalGatewayInfo {
        case .absent: break
        case .null:
            try clearGateway(router)
            router.externalGatewayInfo = nil
        case .value(let info):
            if info.networkID.isEmpty {
                try clearGateway(router)
                router.externalGatewayInfo = nil
            } else if info.networkID != router.externalGatewayInfo?.networkID || info.externalFixedIPs != nil {
                try clearGateway(router)
                router.externalGatewayInfo = try setGateway(routerID: id, info, caller)
            } else if let snat = info.enableSnat {
                router.externalGatewayInfo?.enableSnat = snat
            }
        }
        if let v = body.name { router.name = v }
        if let v = body.description { router.description = v }
        if let v = body.adminStateUp { router.adminStateUp = v }
        if let v = body.distributed { router.distributed = v }
        if let v = body.ha { router.ha = v }
        touch(&router.updatedAt, &router.revisionNumber)
        routers[id] = router
        return router
    }

    mutating func deleteRouter(_ id: String, _ caller: NeutronCaller) throws {
        let router = try visibleRouter(id, caller)
        if ports.values.contains(where: { $0.deviceID == id && DeviceOwner.routerOwners.contains($0.deviceOwner) }) {
            throw NeutronError.routerInUse(id)
        }
        try clearGateway(router)
        routers[id] = nil
        order[id] = nil
    }

    /// Subnets the router is attached to (interfaces and gateway).
    func connectedSubnets(router: NeutronRouter) -> [(subnet: String, port: NeutronPort)] {
        ports.values.filter { $0.deviceID == router.id
            && (DeviceOwner.routerOwners.contains($0.deviceOwner) || $0.deviceOwner == DeviceOwner.routerGateway) }
            .flatMap { port in port.fixedIPs.compactMap { $0.subnetID }.map { ($0, port) } }
    }

    func validateRoutes(_ routes: [HostRoute], router: NeutronRouter) throws -> [HostRoute] {
        let description = "[" + routes.map { "{'destination': '\($0.destination)', 'nexthop': '\($0.nexthop)'}" }
            .joined(separator: ", ") + "]"
        let attached = connectedSubnets(router: router)
        var out: [HostRoute] = []
        for route in routes {
            guard let (destination, _) = IPNetwork.parse(route.destination), let hop = IPAddress(route.nexthop),
                  destination.version == hop.version else {
                throw NeutronError.invalidAttribute(
                    "routes", reason: "Invalid data format for hostroute: '\(route.destination) \(route.nexthop)'")
            }
            let ownAddresses = attached.flatMap { $0.port.fixedIPs.compactMap(\.ipAddress) }
            if ownAddresses.contains(hop.description) {
                throw NeutronError.invalidRoutes(description, reason: "the nexthop is used by router")
            }
            let reachable = attached.contains { entry in ipam[entry.subnet]?.cidr.contains(hop) == true }
            guard reachable else {
                throw NeutronError.invalidRoutes(description, reason: "the nexthop is not connected with router")
            }
            if !out.contains(route) { out.append(route) }
        }
        return out
    }

    mutating func addExtraRoutes(_ id: String, _ routes: [HostRoute], _ caller: NeutronCaller) throws -> NeutronRouter {
        var router = try visibleRouter(id, caller)
        let merged = router.routes + routes.filter { !router.routes.contains($0) }
        router.routes = try validateRoutes(merged, router: router)
        touch(&router.updatedAt, &router.revisionNumber)
        routers[id] = router
        return router
    }

    mutating func removeExtraRoutes(_ id: String, _ routes: [HostRoute], _ caller: NeutronCaller) throws -> NeutronRouter {
        var router = try visibleRouter(id, caller)
        router.routes.removeAll { routes.contains($0) }
        touch(&router.updatedAt, &router.revisionNumber)
        routers[id] = router
        return router
    }

    mutating func addRouterInterface(_ id: String, _ body: RouterInterfaceRequest, _ caller: NeutronCaller) throws
        -> RouterInterfaceInfo
    {
        let router = try visibleRouter(id, caller)
        if body.subnetID != nil, body.portID != nil {
            throw NeutronError.badRequest(resource: "router", "Cannot specify both subnet-id and port-id")
        }
        let interfaces = connectedSubnets(router: router).filter { DeviceOwner.routerOwners.contains($0.port.deviceOwner) }
        func checkOverlap(_ subnet: Subnet) throws {
            // Neutron counts the gateway port too: an interface never shares the gateway's subnet.
            if connectedSubnets(router: router).contains(where: { $0.subnet == subnet.id }) {
                throw NeutronError.badRequest(resource: "router", "Router already has a port on subnet \(subnet.id)")
            }
            guard let cidr = ipam[subnet.id]?.cidr else { return }
            for entry in interfaces {
                if entry.subnet == subnet.id {
                    throw NeutronError.badRequest(resource: "router", "Router already has a port on subnet \(subnet.id)")
                }
                if let other = subnets[entry.subnet], let otherCIDR = ipam[entry.subnet]?.cidr, otherCIDR.overlaps(cidr) {
                    throw NeutronError.badRequest(
                        resource: "router",
                        "Cidr \(subnet.cidr) of subnet \(subnet.id) overlaps with cidr \(other.cidr) of subnet \(other.id)")
                }
            }
        }
        if let portID = body.portID {
            var port = try visiblePort(portID, caller)
            if !port.deviceID.isEmpty {
                throw NeutronError(status: 409, type: "PortInUse",
                                   message: "Unable to complete operation on port \(portID) for network \(port.networkID). Port already has an attached device \(port.deviceID).")
            }
            guard !port.fixedIPs.isEmpty else {
                throw NeutronError.badRequest(resource: "router", "Router port must have at least one fixed IP")
            }
            for subnetID in port.fixedIPs.compactMap(\.subnetID) {
                if let subnet = subnets[subnetID] { try checkOverlap(subnet) }
            }
            port.deviceID = id
            port.deviceOwner = DeviceOwner.routerInterface
            port.status = "ACTIVE"
            port.securityGroups = []
            touch(&port.updatedAt, &port.revisionNumber)
            ports[portID] = port
            let subnetIDs = port.fixedIPs.compactMap(\.subnetID)
            return RouterInterfaceInfo(
                id: id, projectID: router.projectID, portID: portID, networkID: port.networkID,
                subnetID: subnetIDs.first ?? "", subnetIDs: subnetIDs)
        }
        guard let subnetID = body.subnetID else {
            throw NeutronError.badRequest(resource: "router", "Either subnet_id or port_id must be specified")
        }
        let subnet = try visibleSubnet(subnetID, caller)
        guard let gateway = subnet.gatewayIP else {
            throw NeutronError.badRequest(resource: "router", "Subnet for router interface must have a gateway IP")
        }
        try checkOverlap(subnet)
        guard let network = networks[subnet.networkID] else { throw NeutronError.networkNotFound(subnet.networkID) }
        let portID = Self.newID()
        let mac = freshMAC(network: network.id)
        let fixed = try allocateAddresses(
            network: network, requested: [FixedIP(subnetID: subnetID, ipAddress: gateway)], portID: portID, mac: mac,
            deviceOwner: DeviceOwner.routerInterface)
        insertPortRecord(NeutronPort(
            id: portID, networkID: network.id, projectID: subnet.projectID, status: "ACTIVE", macAddress: mac,
            fixedIPs: fixed, deviceID: id, deviceOwner: DeviceOwner.routerInterface, portSecurityEnabled: false,
            bindingHostID: Self.agentHost, bindingVifDetails: Self.ovsVifDetails, bindingVifType: "ovs",
            createdAt: timestamp, updatedAt: timestamp))
        return RouterInterfaceInfo(
            id: id, projectID: router.projectID, portID: portID, networkID: network.id, subnetID: subnetID,
            subnetIDs: [subnetID])
    }

    mutating func removeRouterInterface(_ id: String, _ body: RouterInterfaceRequest, _ caller: NeutronCaller) throws
        -> RouterInterfaceInfo
    {
        let router = try visibleRouter(id, caller)
        let interfacePorts = ports.values.filter { $0.deviceID == id && DeviceOwner.routerOwners.contains($0.deviceOwner) }
        let port: NeutronPort
        if let portID = body.portID {
            guard let found = interfacePorts.first(where: { $0.id == portID }) else {
                throw NeutronError.routerInterfaceNotFound(router: id, port: portID)
            }
            if let subnetID = body.subnetID, !found.fixedIPs.contains(where: { $0.subnetID == subnetID }) {
                throw NeutronError(status: 400, type: "SubnetMismatchForPort",
                                   message: "Subnet on port \(portID) does not match the requested subnet \(subnetID).")
            }
            port = found
        } else if let subnetID = body.subnetID {
            _ = try visibleSubnet(subnetID, caller)
            guard let found = interfacePorts.first(where: { $0.fixedIPs.contains { $0.subnetID == subnetID } }) else {
                throw NeutronError.routerInterfaceNotFoundForSubnet(router: id, subnet: subnetID)
            }
            port = found
        } else {
            throw NeutronError.badRequest(resource: "router", "Either subnet_id or port_id must be specified")
        }
        let subnetIDs = port.fixedIPs.compactMap(\.subnetID)
        for subnetID in subnetIDs {
            guard let cidr = ipam[subnetID]?.cidr else { continue }
            if router.routes.contains(where: { IPAddress($0.nexthop).map(cidr.contains) == true }) {
                throw NeutronError.routerInterfaceInUseByRoute(router: id, subnet: subnetID)
            }
            let fipInUse = floatingIPs.values.contains { fip in
                fip.routerID == id && fip.fixedIPAddress.flatMap(IPAddress.init).map(cidr.contains) == true
            }
            if fipInUse {
                throw NeutronError(status: 409, type: "RouterInterfaceInUseByFloatingIP",
                                   message: "Router interface for subnet \(subnetID) on router \(id) cannot be deleted, as it is required by one or more floating IPs.")
            }
        }
        removePortRecord(port.id)
        return RouterInterfaceInfo(
            id: id, projectID: router.projectID, portID: port.id, networkID: port.networkID,
            subnetID: subnetIDs.first ?? "", subnetIDs: subnetIDs)
    }
}
