import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/networks`: the top's networks. Provider segments are allocated here (a VXLAN VNI or VLAN id is
/// unique across the whole cloud through the table's unique key) so a network can later stretch over pods.
struct NetworkRoutes: APIRoutes {
    let service: NetworkService
    let queue: NeutronSyncQueue
    let serverPorts: ServerPortBinder
    let cleaner: PodCopyCleaner

    static let networkTypes: Set<String> = ["local", "flat", "vlan", "vxlan"]
    static let attributes: Set<String> = Set(jsonObject(Network(id: "", projectID: "", createdAt: "", updatedAt: "")).keys)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("networks", use: list)
        group.post("networks", use: create)
        group.get("networks/:id", use: show)
        group.put("networks/:id", use: update)
        group.delete("networks/:id", use: delete)
    }

    /// `GET /v2.0/networks`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await list(request, NeutronCaller(try context.requireCaller()))
    }

    /// `POST /v2.0/networks`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await create(request, NeutronCaller(try context.requireCaller()))
    }

    /// `GET /v2.0/networks/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let (network, _) = try await service.network(try context.parameters.require("id"), caller)
        return NeutronHTTP.single("network", try await render([network]).first ?? [:], request: request)
    }

    /// `PUT /v2.0/networks/:id`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await update(request, id: try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
    }

    /// `DELETE /v2.0/networks/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await delete(id: try context.parameters.require("id"), NeutronCaller(try context.requireCaller()),
                         context: try podContext(context))
    }

    func list(_ request: Request, _ caller: NeutronCaller) async throws -> Response {
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        let base = NetworkDocumentQuery(projectIDs: caller.visibleProjects, orDeviceIDs: [NetworkService.sharedMarker])
        return try await service.lister.respond(
            .networks, collection: "networks", request: request, query: query, base: base,
            render: { rows in try await render(rows.map { try service.model(Network.self, $0) }) },
            notFound: NeutronError.networkNotFound)
    }

    /// Adds what is derived rather than stored (the subnet ids).
    func render(_ networks: [Network]) async throws -> [[String: JSONValue]] {
        let subnets = try await service.subnetIDs(ofNetworks: networks.map(\.id))
        return networks.map { network in
            var network = network
            network.subnets = subnets[network.id] ?? []
            return jsonObject(network)
        }
    }

    /// One network (`{"network": {...}}`) or several at once (`{"networks": [...]}`, all or nothing).
    func create(_ request: Request, _ caller: NeutronCaller) async throws -> Response {
        let object = try await NeutronHTTP.object(request)
        if let members = object["networks"] {
            // New networks have no pod copies yet (pods get them on first use), so undoing is a top delete.
            let made = try await NeutronHTTP.bulk(
                try NeutronHTTP.bulkMembers(members, key: "network", allowed: NetworkCreate.attributeNames),
                create: { try await create(member: $0, caller) }, undo: { try await service.documents.delete(.networks, id: $0.id) })
            return NeutronHTTP.json(.object(["networks": .array(made.map { .object(jsonObject($0)) })]), status: .created)
        }
        let network = try await create(member: try NeutronHTTP.member(object, key: "network", allowed: NetworkCreate.attributeNames), caller)
        return NeutronHTTP.single("network", jsonObject(network), request: request, status: .created)
    }

    func create(member: [String: JSONValue], _ caller: NeutronCaller) async throws -> Network {
        let body = try NeutronHTTP.decode(NetworkCreate.self, from: member)
        let project = try caller.owningProject(body.projectID, body.tenantID)
        try body.checkAdminOnlyAttributes(isAdmin: caller.isAdmin)
        if let mtu = body.mtu, mtu < 68 {
            throw NeutronError.invalidAttribute("mtu", reason: "'\(mtu)' is too small - must be at least '68'")
        }
        let pods = try await service.services.pods.bottomPods()
        for hint in body.availabilityZoneHints ?? [] where !pods.contains(where: { $0.azName == hint }) {
            throw NeutronError(status: 404, type: "AvailabilityZoneNotFound", message: "AvailabilityZone \(hint) could not be found.")
        }
        if body.routerExternal == true { try Self.checkExternalPlacement(body.availabilityZoneHints ?? []) }
        let type = body.providerNetworkType ?? (body.routerExternal == true ? "flat" : "vxlan")
        guard Self.networkTypes.contains(type) else {
            throw NeutronError.invalidInput("network_type value '\(type)' not supported")
        }
        var physnet = body.providerPhysicalNetwork
        var segment = body.providerSegmentationID
        switch type {
        case "local":
            if physnet != nil || segment != nil {
                throw NeutronError.invalidInput("local provider network does not accept physical_network or segmentation_id")
            }
            // A local network lives in one region (the first that boots on it), so hints can name one zone at most.
            if (body.availabilityZoneHints ?? []).count > 1 {
                throw NeutronError.invalidInput("local network stays in one region: give at most one availability zone hint")
            }
        case "flat":
            if segment != nil { throw NeutronError.invalidInput("flat provider network does not accept segmentation_id") }
            physnet = physnet ?? "extern"
        case "vlan":
            guard let id = segment, (1...4094).contains(id) else {
                throw NeutronError.invalidInput("provider:segmentation_id out of range (1 through 4094)")
            }
            physnet = physnet ?? "bridge"
        default:
            if physnet != nil { throw NeutronError.invalidInput("vxlan provider network does not accept physical_network") }
            if let id = segment, !(1...16_777_215).contains(id) {
                throw NeutronError.invalidInput("provider:segmentation_id out of range (1 through 16777215)")
            }
        }
        let now = NetworkService.now()
        let shared = body.shared ?? false, external = body.routerExternal ?? false
        // A VNI picked here may collide with one taken meanwhile: the unique key refuses it and we pick again.
        for attempt in 0..<20 {
            if type == "vxlan", body.providerSegmentationID == nil { segment = Int.random(in: 1000...16_000_000) }
            let network = Network(
                id: NetworkService.newID(), name: body.name ?? "", description: body.description ?? "", projectID: project,
                adminStateUp: body.adminStateUp ?? true, status: "ACTIVE", shared: shared, routerExternal: external,
                mtu: body.mtu ?? (type == "vxlan" ? 1450 : 1500), availabilityZoneHints: body.availabilityZoneHints ?? [],
                availabilityZones: [], providerNetworkType: type, providerPhysicalNetwork: physnet, providerSegmentationID: segment,
                portSecurityEnabled: body.portSecurityEnabled ?? true, qosPolicyID: body.qosPolicyID,
                isDefault: body.isDefault ?? false, tags: body.tags ?? [], createdAt: now, updatedAt: now, revisionNumber: 1)
            let key: String? = switch type {
            case "vxlan": "segment:vxlan:\(segment ?? 0)"
            case "vlan": "segment:vlan:\(physnet ?? ""):\(segment ?? 0)"
            default: nil
            }
            let doc = NetworkDocument(
                id: network.id, projectID: project, deviceID: shared || external ? NetworkService.sharedMarker : "",
                name: network.name, uniqueKey: key, revision: 1, body: try NetworkService.body(network), createdAt: now, updatedAt: now)
            do {
                try await service.documents.insert(.networks, doc)
                return network
            } catch StoreError.conflict {
                if type == "vlan" { throw NeutronError.vlanIDInUse(segment ?? 0, physicalNetwork: physnet ?? "") }
                if body.providerSegmentationID != nil || attempt == 19 { throw NeutronError.tunnelIDInUse(segment ?? 0) }
            }
        }
        throw NeutronError.tunnelIDInUse(segment ?? 0)
    }

    /// An external network lives in exactly one pod: the one its single AZ hint names (no hint: the default
    /// pod for creates; see docs/networking-north-south.md), so two hints are refused.
    static func checkExternalPlacement(_ hints: [String]) throws {
        guard hints.count <= 1 else {
            throw NeutronError.invalidInput(
                "An external network is placed in exactly one availability zone; availability_zone_hints names \(hints.count): \(hints.joined(separator: ", "))")
        }
    }

    func update(_ request: Request, id: String, _ caller: NeutronCaller) async throws -> Response {
        let member = try await NeutronHTTP.member(request, key: "network", allowed: NetworkUpdate.attributeNames)
        let body = try NeutronHTTP.decode(NetworkUpdate.self, from: member)
        let (current, _) = try await service.network(id, caller)
        guard caller.owns(current.projectID) else { throw NeutronError.networkNotFound(id) }
        if !caller.isAdmin, (body.shared != nil && body.shared != current.shared)
            || (body.routerExternal != nil && body.routerExternal != current.routerExternal) {
            throw NeutronError.policyNotAuthorized("rule:update_network and rule:update_network:shared")
        }
        if body.routerExternal == true { try Self.checkExternalPlacement(current.availabilityZoneHints) }
        let (network, doc) = try await service.rewrite(.networks, id: id, notFound: .networkNotFound(id)) { (network: inout Network, doc) in
            body.apply(to: &network)
            touch(&network.updatedAt, &network.revisionNumber)
        }
        var marked = doc
        let sharedNow = network.shared || network.routerExternal
        if (doc.deviceID == NetworkService.sharedMarker) != sharedNow {
            marked.deviceID = sharedNow ? NetworkService.sharedMarker : ""
            _ = try await service.documents.update(.networks, marked, expectedRevision: doc.revision)
        }
        if network.shared != current.shared || network.routerExternal != current.routerExternal {
            try await service.remarkSubnets(ofNetwork: id, shared: sharedNow, external: network.routerExternal)
        }
        // Pods holding a copy get the change through a job (a pod that is down gets it when it returns).
        try await queue.scheduleSync(.network, id: id)
        return NeutronHTTP.single("network", try await render([network]).first ?? [:], request: request)
    }

    func delete(id: String, _ caller: NeutronCaller, context: PodCallContext) async throws -> Response {
        let (network, _) = try await service.network(id, caller)
        guard caller.owns(network.projectID) else { throw NeutronError.networkNotFound(id) }
        // Ports Nova made for servers that are gone go first, as Nova would have deleted them.
        try await serverPorts.reclaimBootPorts(networkID: id)
        let ports = try await service.ports(ofNetwork: id)
        // Neutron deletes DHCP ports with the network; anything else keeps it in use.
        if ports.contains(where: { $0.deviceOwner != DeviceOwners.dhcp && $0.deviceOwner != DeviceOwners.reservedGateway }) {
            throw NeutronError.networkInUse(id)
        }
        try await cleaner.removeEverywhere(networkID: id, context: context)
        for port in ports { try await service.documents.delete(.ports, id: port.id) }
        for subnet in try await service.subnets(ofNetwork: id) { try await service.documents.delete(.subnets, id: subnet.id) }
        try await service.documents.delete(.networks, id: id)
        return NeutronHTTP.noContent()
    }
}

/// The device owners the gateway itself gives ports.
enum DeviceOwners {
    static let dhcp = "network:dhcp"
    static let routerInterface = "network:router_interface"
    static let routerGateway = "network:router_gateway"
    static let floatingIP = "network:floatingip"
    /// A pod's gateway address on a subnet, reserved at the top so no port ever gets it.
    static let reservedGateway = "network:tricircle_pod_gateway"
    /// A pod router's address on the project's bridge network.
    static let bridge = "network:tricircle_bridge"
}

/// The pod-call context of a request (caller and request id).
func podContext(_ context: GatewayRequestContext) throws -> PodCallContext {
    PodCallContext(caller: try context.requireCaller(), requestID: context.requestID)
}
