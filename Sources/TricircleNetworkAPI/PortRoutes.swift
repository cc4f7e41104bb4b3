import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/ports`: ports with centrally allocated MAC and addresses; binding attributes are kept as given.
struct PortRoutes: APIRoutes {
    let service: NetworkService
    let queue: NeutronSyncQueue
    let cleaner: PodCopyCleaner
    let floatingIPRelease: FloatingIPDisassociator

    static let attributes: Set<String> = Set(jsonObject(
        NeutronPort(id: "", networkID: "", projectID: "", macAddress: "", createdAt: "", updatedAt: "")).keys)

    var allocator: PortAllocator { PortAllocator(service: service) }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("ports", use: list)
        group.post("ports", use: create)
        group.get("ports/:id", use: show)
        group.put("ports/:id", use: update)
        group.delete("ports/:id", use: delete)
    }

    /// `GET /v2.0/ports`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .ports, collection: "ports", request: request, query: query,
            base: NetworkDocumentQuery(projectIDs: caller.visibleProjects), parentKey: "network_id", deviceKey: "device_id",
            render: { rows in try rows.map { try jsonObject(service.model(NeutronPort.self, $0)) } },
            notFound: NeutronError.portNotFound)
    }

    /// `POST /v2.0/ports`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let object = try await NeutronHTTP.object(request)
        if let members = object["ports"] {
            let ports = try await createBulk(try NeutronHTTP.bulkMembers(members, key: "port", allowed: PortCreate.attributeNames), caller)
            return NeutronHTTP.json(.object(["ports": .array(ports.map { .object(jsonObject($0)) })]), status: .created)
        }
        let member = try NeutronHTTP.member(object, key: "port", allowed: PortCreate.attributeNames)
        let body = try NeutronHTTP.decode(PortCreate.self, from: member)
        let port = try await service.createPort(body, caller)
        return NeutronHTTP.single("port", jsonObject(port), request: request, status: .created)
    }

    /// `GET /v2.0/ports/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (port, _) = try await service.port(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("port", jsonObject(port), request: request)
    }

    /// `PUT /v2.0/ports/:id`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let member = try await NeutronHTTP.member(request, key: "port", allowed: PortUpdate.attributeNames)
        let body = try NeutronHTTP.decode(PortUpdate.self, from: member)
        let port = try await update(try context.parameters.require("id"), body, NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("port", jsonObject(port), request: request)
    }

    /// `DELETE /v2.0/ports/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (port, _) = try await service.port(id, NeutronCaller(try context.requireCaller()))
        if port.deviceOwner == DeviceOwners.routerInterface || port.deviceOwner == DeviceOwners.routerGateway {
            throw NeutronError.servicePortInUse(port: id, reason: "has device owner \(port.deviceOwner)")
        }
        try await delete(port, context: try podContext(context))
        return NeutronHTTP.noContent()
    }

    func update(_ id: String, _ body: PortUpdate, _ caller: NeutronCaller) async throws -> NeutronPort {
        if body.bindingHostID != nil, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:update_port and rule:update_port:binding:host_id")
        }
        let (current, doc) = try await service.port(id, caller)
        var port = current
        body.applyPlainAttributes(to: &port)
        if let v = body.portSecurityEnabled { port.portSecurityEnabled = v }
        if let v = body.allowedAddressPairs {
            try NetworkService.validatePairs(v)
            port.allowedAddressPairs = v
        }
        if let v = body.bindingHostID { port.bindingHostID = v }
        if let v = body.securityGroups {
            port.securityGroups = try await service.resolveGroups(v, owner: port.deviceOwner, portSecurity: port.portSecurityEnabled ?? true,
                                                          project: port.projectID)
        }
        var macRequested = false
        if let requested = body.macAddress {
            guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:update_port:mac_address") }
            guard let mac = MACAddress.normalize(requested) else {
                throw NeutronError.invalidAttribute("mac_address", reason: "'\(requested)' is not a valid MAC address")
            }
            port.macAddress = mac
            macRequested = true
        }
        touch(&port.updatedAt, &port.revisionNumber)
        // Addresses are rewritten with the document, in one transaction: kept ones stay, new ones are allocated.
        let wanted = body.fixedIPs ?? current.fixedIPs
        let requests = try allocator.resolve(wanted, networkID: port.networkID, subnets: try await service.subnets(ofNetwork: port.networkID))
        let (updated, _) = try await allocator.write(port, requests: requests, macRequested: macRequested || body.macAddress == nil,
                                                     deviceID: port.deviceID, replacing: doc.revision)
        try await queue.scheduleSync(.port, id: id)
        await queue.scheduleShadows(ofNetworkID: port.networkID)
        return updated
    }

    /// `{"ports": [...]}`: all or nothing, as Neutron's bulk create. Every member is decoded before any is
    /// made. Top-only writes (pods get their copies when a server uses a port), so undoing is a top delete.
    func createBulk(_ members: [[String: JSONValue]], _ caller: NeutronCaller) async throws -> [NeutronPort] {
        let bodies = try members.map { try NeutronHTTP.decode(PortCreate.self, from: $0) }
        return try await NeutronHTTP.bulk(bodies, create: { try await service.createPort($0, caller) },
                                          undo: { try await service.documents.delete(.ports, id: $0.id) })
    }

    /// Deletes a port at the top and its copies in the pods.
    func delete(_ port: NeutronPort, context: PodCallContext) async throws {
        // As in Neutron, the port's floating IPs stay, disassociated (their pod copies go by their own job).
        try await floatingIPRelease.disassociateFloatingIPs(ofPort: port.id)
        try await cleaner.removeEverywhere(portID: port.id, context: context)
        try await service.documents.delete(.ports, id: port.id)
    }
}

extension NetworkService {
    /// Creates a port at the top (also used by boots and router interfaces, which are ACTIVE at once).
    /// `storedDevice`: the device recorded for the row when it differs from the port's `device_id` (a boot's
    /// pending mark, `ServerPortBinder.pendingBootDevice`).
    func createPort(_ body: PortCreate, _ caller: NeutronCaller, status: String = "DOWN", storedDevice: String? = nil) async throws -> NeutronPort {
        guard let networkID = body.networkID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let (network, _) = try await network(networkID, caller)
        if !caller.isAdmin, network.projectID != caller.projectID, !network.shared {
            throw NeutronError.policyNotAuthorized("rule:create_port and rule:create_port:network")
        }
        if body.bindingHostID != nil, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:create_port and rule:create_port:binding:host_id")
        }
        var mac = MACAddress.random()
        if let requested = body.macAddress {
            guard let normalized = MACAddress.normalize(requested) else {
                throw NeutronError.invalidAttribute("mac_address", reason: "'\(requested)' is not a valid MAC address")
            }
            mac = normalized
        }
        let owner = body.deviceOwner ?? ""
        let portSecurity = body.portSecurityEnabled ?? network.portSecurityEnabled ?? true
        let securityGroups = try await resolveGroups(body.securityGroups, owner: owner, portSecurity: portSecurity, project: project)
        try Self.validatePairs(body.allowedAddressPairs ?? [])
        let requests = try PortAllocator(service: self).resolve(body.fixedIPs, networkID: networkID, subnets: try await subnets(ofNetwork: networkID))
        let now = NetworkService.now()
        let port = NeutronPort(
            id: NetworkService.newID(), name: body.name ?? "", description: body.description ?? "", networkID: networkID,
            projectID: project, adminStateUp: body.adminStateUp ?? true, status: status, macAddress: mac,
            deviceID: body.deviceID ?? "", deviceOwner: owner, securityGroups: securityGroups,
            allowedAddressPairs: body.allowedAddressPairs ?? [], extraDHCPOpts: body.extraDHCPOpts ?? [],
            portSecurityEnabled: portSecurity, bindingHostID: body.bindingHostID ?? "", bindingProfile: body.bindingProfile ?? [:],
            bindingVnicType: body.bindingVnicType ?? "normal", qosPolicyID: body.qosPolicyID, tags: body.tags ?? [],
            createdAt: now, updatedAt: now, revisionNumber: 1)
        return try await PortAllocator(service: self).write(port, requests: requests, macRequested: body.macAddress != nil, deviceID: storedDevice ?? port.deviceID).0
    }

    /// The groups a port gets: the named ones (each must exist in the project), or the project's default group.
    func resolveGroups(_ requested: [String]?, owner: String, portSecurity: Bool, project: String) async throws -> [String] {
        if let requested {
            if !requested.isEmpty, !portSecurity {
                throw NeutronError(status: 400, type: "PortSecurityAndIPRequiredForSecurityGroups",
                                   message: "Port security must be enabled and port must have an IP address in order to use security groups.")
            }
            let caller = NeutronCaller(projectID: project, isAdmin: false)
            for id in requested { _ = try await securityGroup(id, caller) }
            return requested
        }
        // Neutron gives network-owned ports (DHCP, router) no groups.
        guard portSecurity, !owner.hasPrefix("network:") else { return [] }
        return [try await defaultGroup(project: project).id]
    }

    static func validatePairs(_ pairs: [AllowedAddressPair]) throws {
        for pair in pairs {
            guard IPAddress(pair.ipAddress) != nil || IPNetwork.parse(pair.ipAddress) != nil else {
                throw NeutronError.invalidAttribute("allowed_address_pairs", reason: "'\(pair.ipAddress)' is not a valid IP address")
            }
            if let mac = pair.macAddress, MACAddress.normalize(mac) == nil {
                throw NeutronError.invalidAttribute("allowed_address_pairs", reason: "'\(mac)' is not a valid MAC address")
            }
        }
    }

}
