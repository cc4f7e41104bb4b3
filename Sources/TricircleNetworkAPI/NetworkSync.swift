import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// Which kind of top resource a sync or cleanup job is about.
enum SyncKind: String, Codable, Sendable {
    case network, subnet, port, securityGroup = "security_group", router, floatingIP = "floatingip"

    var resourceType: ResourceType {
        switch self {
        case .network: .network
        case .subnet: .subnet
        case .port: .port
        case .securityGroup: .securityGroup
        case .router: .router
        case .floatingIP: .floatingIP
        }
    }

    /// The pod's collection path for this kind.
    var collection: String {
        switch self {
        case .network: "networks"
        case .subnet: "subnets"
        case .port: "ports"
        case .securityGroup: "security-groups"
        case .router: "routers"
        case .floatingIP: "floatingips"
        }
    }
}

/// `neutron_sync`: makes every pod's copy of a top resource match the top again (after an update at the
/// top). Safe to repeat: it reads the top's current state and converges each copy; a pod that is down
/// fails the run, which the job engine retries with backoff until the pod is back.
struct NeutronSyncJob: JobHandler {
    struct Payload: Codable, Sendable {
        var kind: SyncKind
        var topID: String
        enum CodingKeys: String, CodingKey {
            case kind
            case topID = "top_id"
        }
    }

    static let type = "neutron_sync"
    static let resourceKeys = ["kind", "top_id"]
    let syncer: NeutronSyncer

    func run(_ payload: Payload, context: JobContext) async throws {
        try await syncer.sync(payload.kind, id: payload.topID, logger: context.logger)
    }
}

/// `neutron_cleanup`: deletes the pods' copies of a top resource that is gone, for pods that could not be
/// reached when it was deleted. Reads the routing rows that are left, so repeating it is harmless.
struct NeutronCleanupJob: JobHandler {
    typealias Payload = NeutronSyncJob.Payload
    static let type = "neutron_cleanup"
    static let resourceKeys = ["kind", "top_id"]
    let cleaner: PodCopyCleaner

    func run(_ payload: Payload, context: JobContext) async throws {
        try await cleaner.cleanup(payload.kind, id: payload.topID)
    }
}

/// Runs `neutron_sync`: converges every pod's copy of one top resource with the top. Routers and floating
/// IPs are set up as a whole (their pods follow from other resources); the rest is updated copy by copy.
struct NeutronSyncer: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    let copies: PodCopies
    let groupSync: SecurityGroupSync
    let routers: RouterSync
    let floatingIPs: FloatingIPSync

    /// Converges every pod's copy of one top resource, pods in parallel.
    func sync(_ kind: SyncKind, id: String, logger: Logger) async throws {
        // A router's pods follow from its networks' pods, so it is set up even before it has a copy anywhere.
        if kind == .router { return try await routers.syncRouter(id, logger: logger) }
        // A floating IP's pod copies follow from its port's pod and its router's gateway (FloatingIPSetup.swift).
        if kind == .floatingIP { return try await floatingIPs.syncFloatingIP(id, logger: logger) }
        let rows = try await routing.resolve(topID: id, type: kind.resourceType, projectID: nil)
        guard !rows.isEmpty else { return }
        let admin = NeutronCaller(projectID: "", isAdmin: true)
        try await Fanout.each(rows) { row in
            guard let bottomID = row.bottomID, let pod = try await podDirectory.pod(id: row.podID) else { return }
            let context = NeutronSyncQueue.jobContext(project: row.projectID)
            do {
                switch kind {
                case .network:
                    guard let (network, _) = try? await service.network(id, admin) else { return }
                    try await pods.call("PUT", "/networks/\(bottomID)", body: ["network": [
                        "admin_state_up": .bool(network.adminStateUp), "description": .string(network.description),
                    ]], in: pod, requestID: context.requestID)
                    _ = try await copies.ensureSubnets(of: network, bottomNetwork: bottomID, in: pod, context: context)
                case .subnet:
                    guard let (subnet, _) = try? await service.subnet(id, admin), var plan = SubnetAddressing(subnet) else { return }
                    let pod = pod
                    let gateway = try await service.documents.list(.ports, NetworkDocumentQuery(
                        parentIDs: [subnet.networkID], deviceIDs: ["pod-gateway:\(pod.podID)"]))
                        .compactMap { try? service.model(NeutronPort.self, $0).fixedIPs.first { $0.subnetID == id }?.ipAddress }.first
                    if let gateway, let value = IPAddress(gateway)?.value { plan.pools = PodCopies.carve(plan.pools, excluding: value) }
                    try await pods.call("PUT", "/subnets/\(bottomID)", body: ["subnet": [
                        "dns_nameservers": .array(subnet.dnsNameservers.map { .string($0) }),
                        "host_routes": .array(subnet.hostRoutes.map { ["destination": .string($0.destination), "nexthop": .string($0.nexthop)] }),
                        "allocation_pools": .array(plan.render().map { ["start": .string($0.start), "end": .string($0.end)] }),
                        "description": .string(subnet.description),
                    ]], in: pod, requestID: context.requestID)
                case .port:
                    guard let (port, _) = try? await service.port(id, admin) else { return }
                    var groups: [JSONValue] = []
                    for groupID in port.securityGroups {
                        let (topGroup, _) = try await service.securityGroup(groupID, admin)
                        groups.append(.string(try await groupSync.ensureSecurityGroup(topGroup, in: pod, context: context)))
                    }
                    var body: [String: JSONValue] = [
                        "admin_state_up": .bool(port.adminStateUp),
                        "allowed_address_pairs": .array(port.allowedAddressPairs.map { pair in
                            var object: [String: JSONValue] = ["ip_address": .string(pair.ipAddress)]
                            if let mac = pair.macAddress { object["mac_address"] = .string(mac) }
                            return .object(object)
                        }),
                    ]
                    if port.portSecurityEnabled != false { body["security_groups"] = .array(groups) }
                    // The top's allocator decided the addresses (and the MAC, below); the pod is told exactly, on
                    // its own copies of the subnets (made now if the port moved to a subnet the pod lacks).
                    if let bottomNetwork = try await routing.resolve(topID: port.networkID, type: .network, podID: pod.podID, projectID: nil)?.bottomID,
                       let (network, _) = try? await service.network(port.networkID, admin) {
                        let subnets = port.fixedIPs.isEmpty ? [:]
                            : try await copies.ensureSubnets(of: network, bottomNetwork: bottomNetwork, in: pod, context: context)
                        body["fixed_ips"] = .array(port.fixedIPs.compactMap { fixed in
                            guard let top = fixed.subnetID, let bottom = subnets[top], let address = fixed.ipAddress else { return nil }
                            return ["subnet_id": .string(bottom), "ip_address": .string(address)]
                        })
                    }
                    let answer = try await pods.call("PUT", "/ports/\(bottomID)", body: ["port": .object(body)], in: pod, requestID: context.requestID)
                    // The MAC on its own, and only when it differs: Neutron refuses a MAC change on a bound
                    // port (PortBound), which must not keep the rest of the port from converging.
                    if let podMAC = answer["port"]?["mac_address"]?.stringValue, podMAC.lowercased() != port.macAddress.lowercased() {
                        try await pods.call("PUT", "/ports/\(bottomID)", body: ["port": ["mac_address": .string(port.macAddress)]],
                                            in: pod, requestID: context.requestID)
                    }
                case .securityGroup:
                    guard (try? await service.securityGroup(id, admin)) != nil else { return }
                    try await groupSync.syncRules(of: id, bottomID: bottomID, in: pod, context: context)
                case .router:
                    return
                case .floatingIP:
                    return  // synced as a whole above
                }
            } catch let error as PodNeutronError where error.status == 404 {
                // The copy went meanwhile (a delete's job ran first): nothing is left to converge.
                logger.info("a pod's copy is gone; nothing to sync", metadata: [
                    "kind": "\(kind.rawValue)", "top_id": "\(id)", "region": "\(pod.regionName)", "error": "\(error)"])
            }
        }
    }
}
