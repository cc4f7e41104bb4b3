import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/routers`: routers at the top with interfaces (ports owned by the router), an external gateway
/// (a port on the external network) and extra routes. Interfaces and gateway are ports with the router
/// as device, so the addresses come from the central allocator like any other port's.
struct RouterRoutes: APIRoutes {
    let service: NetworkService
    let ports: PortRoutes
    let queue: NeutronSyncQueue
    let cleaner: PodCopyCleaner
    let routers: RouterSync
    let northSouth: NorthSouthBridge

    static let attributes: Set<String> = Set(jsonObject(NeutronRouter(id: "", projectID: "", createdAt: "", updatedAt: "")).keys)

    /// A top router is distributed (the `dvr` extension): it is realized as one router in every region of its
    /// networks, so no single host holds its interfaces. Like Neutron, only an admin may set `distributed` or
    /// `ha`; a centralized router (distributed=false) cannot be built across regions and is refused.
    static func checkDistribution(distributed: Bool?, ha: Bool?, caller: NeutronCaller, action: String) throws {
        if distributed != nil || ha != nil, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:\(action)_router and rule:\(action)_router:\(distributed != nil ? "distributed" : "ha")")
        }
        if distributed == false {
            throw NeutronError.badRequest(resource: "router", "A router at the top is distributed over the regions of its networks; distributed=false (a centralized router) is not supported")
        }
    }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("routers", use: list)
        group.post("routers", use: create)
        group.get("routers/:id", use: show)
        group.put("routers/:id", use: update)
        group.delete("routers/:id", use: delete)
        group.put("routers/:id/add_router_interface", use: addInterface)
        group.put("routers/:id/remove_router_interface", use: removeInterface)
        group.put("routers/:id/add_extraroutes", use: addExtraRoutes)
        group.put("routers/:id/remove_extraroutes", use: removeExtraRoutes)
    }

    /// `GET /v2.0/routers`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .routers, collection: "routers", request: request, query: query, base: NetworkDocumentQuery(projectIDs: caller.visibleProjects),
            render: { rows in try rows.map { try jsonObject(service.model(NeutronRouter.self, $0)) } },
            notFound: NeutronError.routerNotFound)
    }

    /// `POST /v2.0/routers`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let member = Self.normalized(try await NeutronHTTP.member(request, key: "router", allowed: RouterCreate.attributeNames))
        let body = try NeutronHTTP.decode(RouterCreate.self, from: member)
        try Self.checkDistribution(distributed: body.distributed, ha: body.ha, caller: caller, action: "create")
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let now = NetworkService.now()
        let router = NeutronRouter(
            id: NetworkService.newID(), name: body.name ?? "", description: body.description ?? "", projectID: project,
            adminStateUp: body.adminStateUp ?? true, availabilityZoneHints: body.availabilityZoneHints ?? [],
            distributed: true, ha: body.ha ?? false, flavorID: body.flavorID, tags: body.tags ?? [],
            createdAt: now, updatedAt: now)
        try await service.documents.insert(.routers, NetworkDocument(
            id: router.id, projectID: project, name: router.name, body: try NetworkService.body(router), createdAt: now, updatedAt: now))
        guard let gateway = body.externalGatewayInfo.value else {
            return NeutronHTTP.single("router", jsonObject(router), request: request, status: .created)
        }
        do {
            let updated = try await setGateway(router.id, gateway, caller)
            return NeutronHTTP.single("router", jsonObject(updated), request: request, status: .created)
        } catch {
            // Nothing half-created: a router whose gateway failed is removed again.
            try await service.documents.delete(.routers, id: router.id)
            throw error
        }
    }

    /// `GET /v2.0/routers/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (router, _) = try await service.router(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("router", jsonObject(router), request: request)
    }

    /// `PUT /v2.0/routers/:id`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let member = Self.normalized(try await NeutronHTTP.member(request, key: "router", allowed: RouterUpdate.attributeNames))
        let body = try NeutronHTTP.decode(RouterUpdate.self, from: member)
        try Self.checkDistribution(distributed: body.distributed, ha: body.ha, caller: caller, action: "update")
        _ = try await service.router(id, caller)
        if body.externalGatewayInfo.isPresent {
            if let info = body.externalGatewayInfo.value {
                _ = try await setGateway(id, info, caller)
            } else {
                try await clearGateway(id, caller)
            }
        }
        if let routes = body.routes { try await validateRoutes(routes, router: id) }
        let (router, _) = try await service.rewrite(.routers, id: id, notFound: .routerNotFound(id)) { (router: inout NeutronRouter, _) in
            if let v = body.name { router.name = v }
            if let v = body.description { router.description = v }
            if let v = body.adminStateUp { router.adminStateUp = v }
            if let v = body.routes { router.routes = v }
            if body.distributed != nil { router.distributed = true }
            if let v = body.ha { router.ha = v }
            touch(&router.updatedAt, &router.revisionNumber)
        }
        try await queue.scheduleSync(.router, id: id)
        return NeutronHTTP.single("router", jsonObject(router), request: request)
    }

    /// `DELETE /v2.0/routers/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let (router, _) = try await service.router(id, caller)
        let attached = try await devicePorts(id)
        if attached.contains(where: { $0.deviceOwner == DeviceOwners.routerInterface }) { throw NeutronError.routerInUse(id) }
        let fips = try await service.documents.list(.floatingIPs, NetworkDocumentQuery(projectIDs: [router.projectID]))
        if try fips.contains(where: { try service.model(FloatingIP.self, $0).routerID == id }) {
            throw NeutronError.routerInUse(id, reason: "still has floating IPs")
        }
        for port in attached { try await service.documents.delete(.ports, id: port.id) }
        // The top's row goes first: a router sync still running sees that at its end and removes what it made.
        try await service.documents.delete(.routers, id: id)
        try await cleaner.removeEverywhere(routerID: id, context: try podContext(context))
        try await routers.releaseBridge(routerID: id, project: router.projectID)
        try await northSouth.releaseNorthSouthBridge(routerID: id, project: router.projectID)
        // Once more by the router's own job, which runs after any sync of it still under way.
        try await queue.scheduleSync(.router, id: id)
        return NeutronHTTP.noContent()
    }

    /// `PUT /v2.0/routers/:id/add_router_interface`.
    func addInterface(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let body = try NeutronHTTP.decode(RouterInterfaceRequest.self, from: try await NeutronHTTP.object(request))
        let info = try await addInterface(try context.parameters.require("id"), body, caller)
        return NeutronHTTP.json(.object(jsonObject(info)))
    }

    /// `PUT /v2.0/routers/:id/remove_router_interface`.
    func removeInterface(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let body = try NeutronHTTP.decode(RouterInterfaceRequest.self, from: try await NeutronHTTP.object(request))
        let info = try await removeInterface(try context.parameters.require("id"), body, caller, context: try podContext(context))
        return NeutronHTTP.json(.object(jsonObject(info)))
    }

    /// `PUT /v2.0/routers/:id/add_extraroutes`.
    func addExtraRoutes(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await extraRoutes(request, context, adding: true)
    }

    /// `PUT /v2.0/routers/:id/remove_extraroutes`.
    func removeExtraRoutes(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await extraRoutes(request, context, adding: false)
    }

    /// `PUT /v2.0/routers/{id}/add_extraroutes` and `remove_extraroutes`.
    func extraRoutes(_ request: Request, _ context: GatewayRequestContext, adding: Bool) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let body = try NeutronHTTP.decode(ExtraRoutesRequest.self, from: try await NeutronHTTP.object(request))
        _ = try await service.router(id, caller)
        if adding { try await validateRoutes(body.router.routes, router: id) }
        let (router, _) = try await service.rewrite(.routers, id: id, notFound: .routerNotFound(id)) { (router: inout NeutronRouter, _) in
            if adding {
                for route in body.router.routes where !router.routes.contains(route) { router.routes.append(route) }
            } else {
                router.routes.removeAll { body.router.routes.contains($0) }
            }
            touch(&router.updatedAt, &router.revisionNumber)
        }
        try await queue.scheduleSync(.router, id: id)
        return NeutronHTTP.single("router", jsonObject(router), request: request)
    }

    /// Neutron's readings of two shorthands clients send: `external_gateway_info: {}` (tempest's
    /// create_router, the CLI's --no-external-gateway) or one without a network means no gateway, and
    /// `routes: null` means no routes.
    static func normalized(_ member: [String: JSONValue]) -> [String: JSONValue] {
        var member = member
        if let info = member["external_gateway_info"]?.objectValue, info["network_id"] == nil || info["network_id"] == .null {
            member["external_gateway_info"] = .null
        }
        if member["routes"] == .null { member["routes"] = .array([]) }
        return member
    }

    /// Ports whose device is the router (its interfaces and gateway).
    func devicePorts(_ routerID: String) async throws -> [NeutronPort] {
        try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: [routerID])).map { try service.model(NeutronPort.self, $0) }
    }

    /// Extra routes must lead through a subnet the router is attached to, and not to one of its own addresses.
    func validateRoutes(_ routes: [HostRoute], router: String) async throws {
        let attached = try await devicePorts(router).filter { $0.deviceOwner == DeviceOwners.routerInterface }
        var cidrs: [IPNetwork] = []
        var own: Set<String> = []
        for port in attached {
            for fixed in port.fixedIPs {
                if let ip = fixed.ipAddress { own.insert(ip) }
                if let subnetID = fixed.subnetID, let doc = try await service.documents.get(.subnets, id: subnetID),
                   let (cidr, _) = IPNetwork.parse(try service.model(Subnet.self, doc).cidr) { cidrs.append(cidr) }
            }
        }
        let description = "[" + routes.map { "{'destination': '\($0.destination)', 'nexthop': '\($0.nexthop)'}" }.joined(separator: ", ") + "]"
        for route in routes {
            guard IPNetwork.parse(route.destination) != nil, let hop = IPAddress(route.nexthop) else {
                throw NeutronError.invalidAttribute("routes", reason: "Invalid data format for hostroute: '\(route.destination) \(route.nexthop)'")
            }
            if own.contains(hop.description) { throw NeutronError.invalidRoutes(description, reason: "the nexthop is used by router") }
            if !cidrs.contains(where: { $0.contains(hop) }) {
                throw NeutronError.invalidRoutes(description, reason: "the nexthop is not connected with router")
            }
        }
    }

    func setGateway(_ id: String, _ info: ExternalGatewayInfo, _ caller: NeutronCaller) async throws -> NeutronRouter {
        _ = try await service.router(id, caller)
        let (network, _) = try await service.network(info.networkID, caller)
        guard network.routerExternal else {
            throw NeutronError.badRequest(resource: "router", "Network \(network.id) is not an external network")
        }
        try await clearGateway(id, caller, movingTo: network.id)
        // Neutron gives gateway ports no project, so no tenant sees or deletes them.
        let port = try await service.createPort(PortCreate(
            networkID: network.id, fixedIPs: info.externalFixedIPs, deviceID: id, deviceOwner: DeviceOwners.routerGateway),
            NeutronCaller(projectID: "", isAdmin: true), status: "ACTIVE")
        let (updated, _) = try await service.rewrite(.routers, id: id, notFound: .routerNotFound(id)) { (router: inout NeutronRouter, _) in
            router.externalGatewayInfo = ExternalGatewayInfo(networkID: network.id, enableSnat: info.enableSnat ?? true, externalFixedIPs: port.fixedIPs)
            touch(&router.updatedAt, &router.revisionNumber)
        }
        try await queue.scheduleSync(.router, id: id)
        return updated
    }

    /// Removes the router's gateway; as Neutron, not while floating IPs use it (unless it stays on the same network).
    func clearGateway(_ id: String, _ caller: NeutronCaller, movingTo network: String? = nil) async throws {
        let (router, _) = try await service.router(id, caller)
        if let current = router.externalGatewayInfo, current.networkID != network {
            let fips = try await service.documents.list(.floatingIPs, NetworkDocumentQuery(projectIDs: [router.projectID]))
            if try fips.contains(where: { try service.model(FloatingIP.self, $0).routerID == id }) {
                throw NeutronError(status: 409, type: "RouterExternalGatewayInUseByFloatingIp",
                                   message: "Gateway cannot be updated for router \(id), since a gateway to external network \(current.networkID) is required by one or more floating IPs.")
            }
        }
        for port in try await devicePorts(id) where port.deviceOwner == DeviceOwners.routerGateway {
            try await service.documents.delete(.ports, id: port.id)
        }
        _ = try await service.rewrite(.routers, id: id, notFound: .routerNotFound(id)) { (router: inout NeutronRouter, _) in
            if router.externalGatewayInfo != nil {
                router.externalGatewayInfo = nil
                touch(&router.updatedAt, &router.revisionNumber)
            }
        }
    }

    func addInterface(_ id: String, _ body: RouterInterfaceRequest, _ caller: NeutronCaller) async throws -> RouterInterfaceInfo {
        let (router, _) = try await service.router(id, caller)
        if body.subnetID != nil, body.portID != nil {
            throw NeutronError.badRequest(resource: "router", "Cannot specify both subnet-id and port-id")
        }
        let port: NeutronPort
        if let portID = body.portID {
            var (existing, doc) = try await service.port(portID, caller)
            if !existing.deviceID.isEmpty {
                throw NeutronError(status: 409, type: "PortInUse",
                                   message: "Unable to complete operation on port \(portID) for network \(existing.networkID). Port already has an attached device \(existing.deviceID).")
            }
            guard !existing.fixedIPs.isEmpty else {
                throw NeutronError.badRequest(resource: "router", "Router port must have at least one fixed IP")
            }
            try await refuseOverlap(router: id, adding: existing.fixedIPs.compactMap(\.subnetID))
            existing.deviceID = id
            existing.deviceOwner = DeviceOwners.routerInterface
            // Neutron shows the port ACTIVE once the interface exists; clients wait for that.
            existing.status = "ACTIVE"
            touch(&existing.updatedAt, &existing.revisionNumber)
            var next = doc
            next.deviceID = id
            next.revision += 1
            next.body = try NetworkService.body(existing)
            guard try await service.documents.update(.ports, next, expectedRevision: doc.revision) else {
                throw NeutronError(status: 409, type: "Conflict", message: "Port \(portID) was changed concurrently; try again.")
            }
            port = existing
        } else if let subnetID = body.subnetID {
            let (subnet, _) = try await service.subnet(subnetID, caller)
            guard let gateway = subnet.gatewayIP else {
                throw NeutronError.badRequest(resource: "router", "Subnet for router interface must have a gateway IP")
            }
            for attached in try await devicePorts(id) where attached.fixedIPs.contains(where: { $0.subnetID == subnetID }) {
                throw NeutronError.badRequest(resource: "router", "Router already has a port on subnet \(subnetID)")
            }
            try await refuseOverlap(router: id, adding: [subnetID])
            port = try await service.createPort(PortCreate(
                networkID: subnet.networkID, projectID: router.projectID, fixedIPs: [FixedIP(subnetID: subnetID, ipAddress: gateway)],
                deviceID: id, deviceOwner: DeviceOwners.routerInterface), NeutronCaller(projectID: router.projectID, isAdmin: true),
                status: "ACTIVE")
        } else {
            throw NeutronError.badRequest(resource: "router", "Either subnet_id or port_id must be specified")
        }
        try await queue.scheduleSync(.router, id: id)
        let subnets = port.fixedIPs.compactMap(\.subnetID)
        return RouterInterfaceInfo(id: id, projectID: router.projectID, portID: port.id, networkID: port.networkID,
                                   subnetID: subnets.first ?? "", subnetIDs: subnets)
    }

    /// Neutron's 400 when a subnet being attached overlaps one the router already routes (one router cannot
    /// route two networks with the same addresses). Checked before anything is changed; two concurrent adds
    /// of overlapping subnets are not serialized against each other.
    func refuseOverlap(router id: String, adding subnetIDs: [String]) async throws {
        let attachedIDs = Set(try await devicePorts(id).filter { $0.deviceOwner == DeviceOwners.routerInterface }
            .flatMap { $0.fixedIPs.compactMap(\.subnetID) })
        guard !attachedIDs.isEmpty else { return }
        func subnet(_ subnetID: String) async throws -> (Subnet, IPNetwork)? {
            guard let doc = try await service.documents.get(.subnets, id: subnetID) else { return nil }
            let subnet = try service.model(Subnet.self, doc)
            return IPNetwork.parse(subnet.cidr).map { (subnet, $0.0) }
        }
        var attached: [(Subnet, IPNetwork)] = []
        for attachedID in attachedIDs.sorted() { if let found = try await subnet(attachedID) { attached.append(found) } }
        for newID in subnetIDs where !attachedIDs.contains(newID) {
            guard let (new, cidr) = try await subnet(newID) else { continue }
            if let (other, _) = attached.first(where: { $0.1.overlaps(cidr) }) {
                throw NeutronError.badRequest(resource: "router",
                    "Cidr \(new.cidr) of subnet \(new.id) overlaps with cidr \(other.cidr) of subnet \(other.id)")
            }
        }
    }

    func removeInterface(_ id: String, _ body: RouterInterfaceRequest, _ caller: NeutronCaller, context: PodCallContext) async throws -> RouterInterfaceInfo {
        let (router, _) = try await service.router(id, caller)
        let attached = try await devicePorts(id).filter { $0.deviceOwner == DeviceOwners.routerInterface }
        let port: NeutronPort
        if let portID = body.portID {
            guard let found = attached.first(where: { $0.id == portID }) else { throw NeutronError.routerInterfaceNotFound(router: id, port: portID) }
            port = found
        } else if let subnetID = body.subnetID {
            _ = try await service.subnet(subnetID, caller)
            guard let found = attached.first(where: { $0.fixedIPs.contains { $0.subnetID == subnetID } }) else {
                throw NeutronError.routerInterfaceNotFoundForSubnet(router: id, subnet: subnetID)
            }
            port = found
        } else {
            throw NeutronError.badRequest(resource: "router", "Either subnet_id or port_id must be specified")
        }
        // Routes through this interface's subnets would be left dangling.
        for fixed in port.fixedIPs {
            guard let subnetID = fixed.subnetID, let doc = try await service.documents.get(.subnets, id: subnetID),
                  let (cidr, _) = IPNetwork.parse(try service.model(Subnet.self, doc).cidr) else { continue }
            if router.routes.contains(where: { IPAddress($0.nexthop).map(cidr.contains) == true }) {
                throw NeutronError.routerInterfaceInUseByRoute(router: id, subnet: subnetID)
            }
        }
        try await ports.delete(port, context: context)
        try await queue.scheduleSync(.router, id: id)
        let subnets = port.fixedIPs.compactMap(\.subnetID)
        return RouterInterfaceInfo(id: id, projectID: router.projectID, portID: port.id, networkID: port.networkID,
                                   subnetID: subnets.first ?? "", subnetIDs: subnets)
    }
}
