import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/floatingips`: addresses on an external network, held by a port of device owner
/// `network:floatingip` so the central allocator hands each out once; associated with a port whose
/// network a router connects to that external network.
struct FloatingIPRoutes: APIRoutes {
    let service: NetworkService
    let queue: NeutronSyncQueue
    let floatingIPs: FloatingIPSync

    static let attributes: Set<String> = Set(jsonObject(
        FloatingIP(id: "", projectID: "", floatingIPAddress: "", floatingNetworkID: "", createdAt: "", updatedAt: "")).keys)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("floatingips", use: list)
        group.post("floatingips", use: create)
        group.get("floatingips/:id", use: show)
        group.put("floatingips/:id", use: update)
        group.delete("floatingips/:id", use: delete)
    }

    /// `GET /v2.0/floatingips`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .floatingIPs, collection: "floatingips", request: request, query: query,
            base: NetworkDocumentQuery(projectIDs: caller.visibleProjects), parentKey: "floating_network_id", deviceKey: "port_id",
            render: { rows in try await render(rows.map { try service.model(FloatingIP.self, $0) }) },
            notFound: NeutronError.floatingIPNotFound)
    }

    /// `POST /v2.0/floatingips`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let member = try await NeutronHTTP.member(request, key: "floatingip", allowed: FloatingIPCreate.attributeNames)
        let body = try NeutronHTTP.decode(FloatingIPCreate.self, from: member)
        let fip = try await create(body, caller)
        return NeutronHTTP.single("floatingip", try await render([fip]).first ?? [:], request: request, status: .created)
    }

    /// `GET /v2.0/floatingips/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (fip, _) = try await floatingIP(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("floatingip", try await render([fip]).first ?? [:], request: request)
    }

    /// `PUT /v2.0/floatingips/:id`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let member = try await NeutronHTTP.member(request, key: "floatingip", allowed: FloatingIPUpdate.attributeNames)
        let body = try NeutronHTTP.decode(FloatingIPUpdate.self, from: member)
        let (current, _) = try await floatingIP(id, caller)
        var association: (port: String?, fixed: String?, router: String?) = (current.portID, current.fixedIPAddress, current.routerID)
        if body.portID.isPresent {
            if let portID = body.portID.value {
                association = try await associate(portID: portID, fixedIP: body.fixedIPAddress, network: current.floatingNetworkID,
                                                  caller: caller, excluding: id)
            } else {
                association = (nil, nil, nil)
            }
        }
        let (fip, _) = try await service.rewrite(.floatingIPs, id: id, notFound: .floatingIPNotFound(id)) { (fip: inout FloatingIP, _) in
            fip.portID = association.port
            fip.fixedIPAddress = association.fixed
            fip.routerID = association.router
            fip.status = association.port == nil ? "DOWN" : "ACTIVE"
            if let v = body.description { fip.description = v }
            touch(&fip.updatedAt, &fip.revisionNumber)
        }
        if let doc = try await service.documents.get(.floatingIPs, id: id), doc.deviceID != (fip.portID ?? "") {
            var next = doc
            next.deviceID = fip.portID ?? ""
            _ = try await service.documents.update(.floatingIPs, next, expectedRevision: doc.revision)
        }
        try await queue.scheduleFloatingIPSync(id)
        return NeutronHTTP.single("floatingip", try await render([fip]).first ?? [:], request: request)
    }

    /// `DELETE /v2.0/floatingips/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try await floatingIP(id, NeutronCaller(try context.requireCaller()))
        for port in try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: [id])) {
            try await service.documents.delete(.ports, id: port.id)
        }
        try await service.documents.delete(.floatingIPs, id: id)
        // The pods' copies go by the floating IP's own sync job, which never runs beside another one of it.
        try await floatingIPs.removeFloatingIP(id)
        return NeutronHTTP.noContent()
    }

    /// Adds `port_details` (the `fip-port-details` extension): the associated port's name, network, MAC,
    /// state and device, or null.
    func render(_ fips: [FloatingIP]) async throws -> [[String: JSONValue]] {
        var out: [[String: JSONValue]] = []
        for fip in fips {
            var object = jsonObject(fip)
            var details = JSONValue.null
            if let portID = fip.portID, let doc = try await service.documents.get(.ports, id: portID),
               let port = try? service.model(NeutronPort.self, doc) {
                details = ["name": .string(port.name), "network_id": .string(port.networkID), "mac_address": .string(port.macAddress),
                           "admin_state_up": .bool(port.adminStateUp), "status": .string(port.status),
                           "device_id": .string(port.deviceID), "device_owner": .string(port.deviceOwner)]
            }
            object["port_details"] = details
            out.append(object)
        }
        return out
    }

    func floatingIP(_ id: String, _ caller: NeutronCaller) async throws -> (FloatingIP, NetworkDocument) {
        guard let doc = try await service.documents.get(.floatingIPs, id: id), caller.owns(doc.projectID) else {
            throw NeutronError.floatingIPNotFound(id)
        }
        return (try service.model(FloatingIP.self, doc), doc)
    }

    func create(_ body: FloatingIPCreate, _ caller: NeutronCaller) async throws -> FloatingIP {
        guard let networkID = body.floatingNetworkID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'floating_network_id' not specified")
        }
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let (network, _) = try await service.network(networkID, caller)
        guard network.routerExternal else {
            throw NeutronError.badRequest(resource: "floatingip", "Network \(networkID) is not a valid external network")
        }
        let id = NetworkService.newID()
        var association: (port: String?, fixed: String?, router: String?) = (nil, nil, nil)
        if let portID = body.portID {
            association = try await associate(portID: portID, fixedIP: body.fixedIPAddress, network: networkID, caller: caller, excluding: id)
        }
        var fixed: [FixedIP]?
        if body.subnetID != nil || body.floatingIPAddress != nil {
            fixed = [FixedIP(subnetID: body.subnetID, ipAddress: body.floatingIPAddress)]
        }
        // The address is held by a network-owned port, so it comes from the same allocator as every other.
        let holder = try await service.createPort(PortCreate(
            networkID: networkID, fixedIPs: fixed, deviceID: id, deviceOwner: DeviceOwners.floatingIP),
            NeutronCaller(projectID: "", isAdmin: true))
        let now = NetworkService.now()
        let fip = FloatingIP(
            id: id, projectID: project, floatingIPAddress: holder.fixedIPs.first?.ipAddress ?? "", floatingNetworkID: networkID,
            routerID: association.router, portID: association.port, fixedIPAddress: association.fixed,
            status: association.port == nil ? "DOWN" : "ACTIVE", description: body.description ?? "",
            qosPolicyID: body.qosPolicyID, tags: body.tags ?? [], createdAt: now, updatedAt: now)
        do {
            try await service.documents.insert(.floatingIPs, NetworkDocument(
                id: id, projectID: project, parentID: networkID, deviceID: association.port ?? "",
                body: try NetworkService.body(fip), createdAt: now, updatedAt: now))
        } catch {
            _ = try? await service.documents.delete(.ports, id: holder.id)
            throw error
        }
        if association.port != nil { try await queue.scheduleFloatingIPSync(id) }
        return fip
    }

    /// Checks a port may take a floating IP of `network`: a router attached to the port's subnet must
    /// have its gateway on that network; returns (port, fixed address, router).
    func associate(portID: String, fixedIP: String?, network: String, caller: NeutronCaller, excluding: String) async throws
        -> (port: String?, fixed: String?, router: String?)
    {
        let (port, _) = try await service.port(portID, caller)
        guard let fixed = port.fixedIPs.first(where: { fixedIP == nil || $0.ipAddress == fixedIP }),
              let address = fixed.ipAddress, let subnetID = fixed.subnetID else {
            throw NeutronError.badRequest(resource: "floatingip", "Port \(portID) does not have fixed ip \(fixedIP ?? "")")
        }
        let interfaces = try await service.documents.list(.ports, NetworkDocumentQuery(parentIDs: [port.networkID]))
            .map { try service.model(NeutronPort.self, $0) }
            .filter { $0.deviceOwner == DeviceOwners.routerInterface && $0.fixedIPs.contains { $0.subnetID == subnetID } }
        for interface in interfaces {
            guard let doc = try await service.documents.get(.routers, id: interface.deviceID) else { continue }
            let router = try service.model(NeutronRouter.self, doc)
            if router.externalGatewayInfo?.networkID == network {
                for other in try await service.documents.list(.floatingIPs, NetworkDocumentQuery(deviceIDs: [portID])) where other.id != excluding {
                    let taken = try service.model(FloatingIP.self, other)
                    if taken.fixedIPAddress == address, taken.floatingNetworkID == network {
                        throw NeutronError.floatingIPPortAlreadyAssociated(
                            fip: taken.id, fixedIP: address, port: portID, floatingIP: taken.floatingIPAddress, net: network)
                    }
                }
                return (portID, address, router.id)
            }
        }
        throw NeutronError.externalGatewayForFloatingIPNotFound(network: network, subnet: subnetID, port: portID)
    }
}

/// Unbinds the floating IPs of a port that is going away (a port delete, a server's boot port released).
struct FloatingIPDisassociator: Sendable {
    let service: NetworkService
    let queue: NeutronSyncQueue

    /// Unbinds the floating IPs associated with a port that is going away (port, fixed address and router
    /// cleared, status DOWN) and queues their sync, which removes their pod-side objects.
    func disassociateFloatingIPs(ofPort portID: String) async throws {
        for doc in try await service.documents.list(.floatingIPs, NetworkDocumentQuery(deviceIDs: [portID])) {
            _ = try await service.rewrite(.floatingIPs, id: doc.id, notFound: .floatingIPNotFound(doc.id)) { (fip: inout FloatingIP, _) in
                fip.portID = nil
                fip.fixedIPAddress = nil
                fip.routerID = nil
                fip.status = "DOWN"
                touch(&fip.updatedAt, &fip.revisionNumber)
            }
            if var current = try await service.documents.get(.floatingIPs, id: doc.id), !current.deviceID.isEmpty {
                current.deviceID = ""
                _ = try await service.documents.update(.floatingIPs, current, expectedRevision: current.revision)
            }
            try await queue.scheduleSync(.floatingIP, id: doc.id)
        }
    }
}
