import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/subnets`: address plans at the top (pools, gateway, DNS, host routes, IPv4 and IPv6).
struct SubnetRoutes: APIRoutes {
    let service: NetworkService
    let queue: NeutronSyncQueue
    let serverPorts: ServerPortBinder
    let cleaner: PodCopyCleaner

    static let attributes: Set<String> = Set(jsonObject(
        Subnet(id: "", networkID: "", projectID: "", ipVersion: 4, cidr: "", gatewayIP: nil, allocationPools: [], createdAt: "", updatedAt: "")).keys)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("subnets", use: list)
        group.post("subnets", use: create)
        group.get("subnets/:id", use: show)
        group.put("subnets/:id", use: update)
        group.delete("subnets/:id", use: delete)
    }

    /// `GET /v2.0/subnets`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        let base = NetworkDocumentQuery(projectIDs: caller.visibleProjects, orDeviceIDs: [NetworkService.sharedMarker])
        return try await service.lister.respond(
            .subnets, collection: "subnets", request: request, query: query, base: base, parentKey: "network_id",
            render: { rows in try rows.map { try jsonObject(service.model(Subnet.self, $0)) } },
            notFound: NeutronError.subnetNotFound)
    }

    /// `POST /v2.0/subnets`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await create(request, NeutronCaller(try context.requireCaller()))
    }

    /// `GET /v2.0/subnets/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (subnet, _) = try await service.subnet(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("subnet", jsonObject(subnet), request: request)
    }

    /// `PUT /v2.0/subnets/:id`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await update(request, id: try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
    }

    /// `DELETE /v2.0/subnets/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await delete(id: try context.parameters.require("id"), NeutronCaller(try context.requireCaller()),
                         context: try podContext(context))
    }

    /// One subnet (`{"subnet": {...}}`) or several at once (`{"subnets": [...]}`, all or nothing).
    func create(_ request: Request, _ caller: NeutronCaller) async throws -> Response {
        let object = try await NeutronHTTP.object(request)
        if let members = object["subnets"] {
            let made = try await NeutronHTTP.bulk(
                try NeutronHTTP.bulkMembers(members, key: "subnet", allowed: SubnetCreate.attributeNames),
                create: { try await create(member: $0, caller) }, undo: { try await service.documents.delete(.subnets, id: $0.id) })
            // Pods that already hold a network get its new subnets, once all of them exist (nothing to undo in pods).
            for networkID in Set(made.map(\.networkID)) { try await queue.scheduleSync(.network, id: networkID) }
            return NeutronHTTP.json(.object(["subnets": .array(made.map { .object(jsonObject($0)) })]), status: .created)
        }
        let subnet = try await create(member: try NeutronHTTP.member(object, key: "subnet", allowed: SubnetCreate.attributeNames), caller)
        // Pods that already hold the network get the new subnet too.
        try await queue.scheduleSync(.network, id: subnet.networkID)
        return NeutronHTTP.single("subnet", jsonObject(subnet), request: request, status: .created)
    }

    /// Validates and stores one subnet at the top; the caller schedules the pods' sync.
    func create(member: [String: JSONValue], _ caller: NeutronCaller) async throws -> Subnet {
        let body = try NeutronHTTP.decode(SubnetCreate.self, from: member)
        guard let networkID = body.networkID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let (network, _) = try await service.network(networkID, caller)
        guard caller.isAdmin || network.projectID == caller.projectID else {
            throw NeutronError.policyNotAuthorized("rule:create_subnet and rule:create_subnet:network_id")
        }
        // A subnet from a pool gets its CIDR carved from the pool's prefixes (SubnetPoolRoutes.swift).
        let poolID = try await service.requestedPool(body, caller)
        let carved = try await service.carveSubnet(poolID: poolID, cidr: body.cidr, prefixlen: body.prefixlen,
                                                   ipVersion: body.ipVersion, caller)
        let (cidr, ipVersion) = try SubnetValidation.checkedCIDR(
            carved?.cidr ?? body.cidr, ipVersion: carved?.ipVersion ?? body.ipVersion, raMode: body.ipv6RAMode, addressMode: body.ipv6AddressMode)
        // Neutron refuses overlapping CIDRs on one network (other networks may overlap). Checked early for
        // a quick answer, and again atomically with the insert below.
        for other in try await service.subnets(ofNetwork: networkID) { try SubnetValidation.refuseOverlap(cidr, with: other.cidr, networkID: networkID) }
        let gateway = try SubnetValidation.gateway(body.gatewayIP, cidr: cidr, ipVersion: ipVersion)
        let id = NetworkService.newID()
        let pools = try SubnetAddressing.validatePools(body.allocationPools, cidr: cidr, gateway: gateway, subnetID: id)
        let now = NetworkService.now()
        let plan = SubnetAddressing(cidr: cidr, pools: pools, gateway: gateway)
        let subnet = Subnet(
            id: id, name: body.name ?? "", description: body.description ?? "", networkID: networkID, projectID: project,
            ipVersion: ipVersion, cidr: cidr.description, gatewayIP: gateway.map(plan.text), allocationPools: plan.render(),
            dnsNameservers: try SubnetValidation.nameservers(body.dnsNameservers ?? []),
            hostRoutes: try SubnetValidation.hostRoutes(body.hostRoutes ?? [], version: ipVersion),
            enableDHCP: body.enableDHCP ?? true, ipv6RAMode: body.ipv6RAMode, ipv6AddressMode: body.ipv6AddressMode,
            subnetpoolID: poolID, segmentID: body.segmentID, serviceTypes: body.serviceTypes ?? [],
            routerExternal: network.routerExternal, tags: body.tags ?? [], createdAt: now, updatedAt: now, revisionNumber: 0)
        let shared = network.shared || network.routerExternal
        let document = NetworkDocument(
            id: id, projectID: project, parentID: networkID, deviceID: shared ? NetworkService.sharedMarker : "",
            name: subnet.name, revision: 1, body: try NetworkService.body(subnet), createdAt: now, updatedAt: now)
        // The network's row is locked while its subnets are checked and this one inserted, so concurrent
        // creates (in this process or another gateway's) cannot both pass the overlap check.
        let inserted = try await service.documents.insert(.subnets, document, lockingParent: .networks) { siblings in
            for sibling in siblings {
                guard let other = try? JSONDecoder().decode(Subnet.self, from: Data(sibling.body.utf8)) else { continue }
                try SubnetValidation.refuseOverlap(cidr, with: other.cidr, networkID: networkID)
            }
        }
        guard inserted else { throw NeutronError.networkNotFound(networkID) }
        // Two creates may carve the same block of a pool at once: the one whose claim comes second carves again.
        if let carved, try await !service.commitCarve(carved) {
            try await service.documents.delete(.subnets, id: id)
            return try await create(member: member, caller)
        }
        return subnet
    }

    func update(_ request: Request, id: String, _ caller: NeutronCaller) async throws -> Response {
        let member = try await NeutronHTTP.member(request, key: "subnet", allowed: SubnetUpdate.attributeNames)
        let body = try NeutronHTTP.decode(SubnetUpdate.self, from: member)
        let (current, _) = try await service.subnet(id, caller)
        guard caller.owns(current.projectID) else { throw NeutronError.subnetNotFound(id) }
        let (subnet, _) = try await service.rewrite(.subnets, id: id, notFound: .subnetNotFound(id)) { (subnet: inout Subnet, _) in
            guard var plan = SubnetAddressing(subnet) else { return }
            if body.gatewayIP.isPresent {
                plan.gateway = try SubnetValidation.gateway(body.gatewayIP, cidr: plan.cidr, ipVersion: subnet.ipVersion)
                subnet.gatewayIP = plan.gateway.map(plan.text)
            }
            if let pools = body.allocationPools {
                plan.pools = try SubnetAddressing.validatePools(pools, cidr: plan.cidr, gateway: plan.gateway, subnetID: id)
                subnet.allocationPools = plan.render()
            } else if let gateway = plan.gateway, plan.inPools(gateway) {
                throw NeutronError.gatewayConflictWithAllocationPools(plan.text(gateway), pool: "\(subnet.allocationPools.map { "\($0.start)-\($0.end)" }.joined(separator: ","))")
            }
            if let v = body.name { subnet.name = v }
            if let v = body.description { subnet.description = v }
            if let v = body.dnsNameservers { subnet.dnsNameservers = try SubnetValidation.nameservers(v) }
            if let v = body.hostRoutes { subnet.hostRoutes = try SubnetValidation.hostRoutes(v, version: subnet.ipVersion) }
            if let v = body.enableDHCP { subnet.enableDHCP = v }
            if let v = body.serviceTypes { subnet.serviceTypes = v }
            touch(&subnet.updatedAt, &subnet.revisionNumber)
        }
        try await queue.scheduleSync(.subnet, id: id)
        return NeutronHTTP.single("subnet", jsonObject(subnet), request: request)
    }

    func delete(id: String, _ caller: NeutronCaller, context: PodCallContext) async throws -> Response {
        let (subnet, _) = try await service.subnet(id, caller)
        guard caller.owns(subnet.projectID) else { throw NeutronError.subnetNotFound(id) }
        // Ports Nova made for servers that are gone go first, as Nova would have deleted them.
        try await serverPorts.reclaimBootPorts(networkID: subnet.networkID, subnetID: id)
        let holders = try await service.addresses.holders(subnetID: id)
        var removable: [String] = []
        for holder in holders {
            guard let doc = try await service.documents.get(.ports, id: holder) else { continue }
            let port = try service.model(NeutronPort.self, doc)
            guard port.deviceOwner == DeviceOwners.dhcp || port.deviceOwner == DeviceOwners.reservedGateway else {
                throw NeutronError.subnetInUse(id)
            }
            removable.append(holder)
        }
        try await cleaner.removeEverywhere(subnetID: id, context: context)
        for port in removable { try await service.documents.delete(.ports, id: port) }
        try await service.documents.delete(.subnets, id: id)
        return NeutronHTTP.noContent()
    }
}
