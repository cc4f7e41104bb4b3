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
    let provisioner: NetworkProvisioner

    func run(_ payload: Payload, context: JobContext) async throws {
        try await provisioner.sync(payload.kind, id: payload.topID, logger: context.logger)
    }
}

/// `neutron_cleanup`: deletes the pods' copies of a top resource that is gone, for pods that could not be
/// reached when it was deleted. Reads the routing rows that are left, so repeating it is harmless.
struct NeutronCleanupJob: JobHandler {
    typealias Payload = NeutronSyncJob.Payload
    static let type = "neutron_cleanup"
    static let resourceKeys = ["kind", "top_id"]
    let provisioner: NetworkProvisioner

    func run(_ payload: Payload, context: JobContext) async throws {
        try await provisioner.cleanup(payload.kind, id: payload.topID)
    }
}

extension NetworkProvisioner {
    /// Queues a sync when some pod holds a copy (nothing to do otherwise).
    func scheduleSync(_ kind: SyncKind, id: String) async throws {
        guard kind != .router else {
            try await service.runtime.jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: kind, topID: id))
            return
        }
        guard try await !routing.resolve(topID: id, type: kind.resourceType, projectID: nil).isEmpty else { return }
        try await service.runtime.jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: kind, topID: id))
    }

    /// A context for pod calls made by jobs (pod calls use the service token; this only carries a request id).
    static func jobContext(project: String) -> PodCallContext {
        PodCallContext(
            caller: AuthenticatedCaller(token: "", userID: "", userName: "tricircle", projectID: project, projectName: "",
                                        roles: ["admin"], expiresAt: Date.distantFuture),
            requestID: GatewayRequestContext.newRequestID())
    }

    /// Converges every pod's copy of one top resource, pods in parallel.
    func sync(_ kind: SyncKind, id: String, logger: Logger) async throws {
        // A router's pods follow from its networks' pods, so it is set up even before it has a copy anywhere.
        if kind == .router { return try await syncRouter(id, logger: logger) }
        // A floating IP's pod copies follow from its port's pod and its router's gateway (FloatingIPSetup.swift).
        if kind == .floatingIP { return try await syncFloatingIP(id, logger: logger) }
        let rows = try await routing.resolve(topID: id, type: kind.resourceType, projectID: nil)
        guard !rows.isEmpty else { return }
        let admin = NeutronCaller(projectID: "", isAdmin: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for row in rows {
                guard let bottomID = row.bottomID, let pod = try await service.runtime.podDirectory.pod(id: row.podID) else { continue }
                let context = Self.jobContext(project: row.projectID)
                group.addTask {
                    do {
                        switch kind {
                        case .network:
                            guard let (network, _) = try? await service.network(id, admin) else { return }
                            try await pods.call("PUT", "/networks/\(bottomID)", body: ["network": [
                                "admin_state_up": .bool(network.adminStateUp), "description": .string(network.description),
                            ]], in: pod, requestID: context.requestID)
                            _ = try await ensureSubnets(of: network, bottomNetwork: bottomID, in: pod, context: context)
                        case .subnet:
                            guard let (subnet, _) = try? await service.subnet(id, admin), var plan = SubnetAddressing(subnet) else { return }
                            let pod = pod
                            let gateway = try await service.documents.list(.ports, NetworkDocumentQuery(
                                parentIDs: [subnet.networkID], deviceIDs: ["pod-gateway:\(pod.podID)"]))
                                .compactMap { try? service.model(NeutronPort.self, $0).fixedIPs.first { $0.subnetID == id }?.ipAddress }.first
                            if let gateway, let value = IPAddress(gateway)?.value { plan.pools = Self.carve(plan.pools, excluding: value) }
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
                                groups.append(.string(try await ensureSecurityGroup(topGroup, in: pod, context: context)))
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
                                    : try await ensureSubnets(of: network, bottomNetwork: bottomNetwork, in: pod, context: context)
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
                            try await syncRules(of: id, bottomID: bottomID, in: pod, context: context)
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
            try await group.waitForAll()
        }
    }

    /// Deletes the pods' copies of a top resource now, or (a pod not answering) by a job later.
    func removeEverywhere(_ kind: SyncKind, id: String) async throws {
        do {
            try await cleanup(kind, id: id)
        } catch {
            logger.warning("a pod's copy could not be deleted now; a job will retry", metadata: ["kind": "\(kind.rawValue)", "top_id": "\(id)", "error": "\(error)"])
            try await service.runtime.jobs.submit(NeutronCleanupJob.self, projectID: "", payload: .init(kind: kind, topID: id))
        }
    }

    /// Deletes every copy still recorded for a top resource, pods in parallel; each row goes once its copy is gone.
    func cleanup(_ kind: SyncKind, id: String) async throws {
        let rows = try await routing.routings.lookup(topID: id, resourceType: kind.resourceType, projectID: nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for row in rows {
                group.addTask { try await cleanupRow(row, kind: kind) }
            }
            try await group.waitForAll()
        }
        if kind == .port { try await removeShadows(ofPort: id) }  // a port's shadows go with its real copies
    }

    /// Deletes one pod's copy and its routing row.
    func cleanupRow(_ row: ResourceRouting, kind: SyncKind) async throws {
        if let bottomID = row.bottomID, let pod = try await service.runtime.podDirectory.pod(id: row.podID) {
            if kind == .router { try await detachAll(router: bottomID, in: pod) }
            if kind == .network { try await clearNetworkCopy(bottomID, in: pod) }  // Neutron keeps a network with ports
            try await pods.delete(kind.collection, id: bottomID, in: pod)
        }
        _ = try await routing.routings.delete(row.id)
        routing.invalidate(topID: row.topID, type: kind.resourceType)
    }

    func removeEverywhere(networkID: String, context: PodCallContext) async throws {
        // The pod deletes a network's subnets and DHCP ports with it: their rows only need forgetting.
        for subnet in try await service.subnets(ofNetwork: networkID) { try await routing.forget(topID: subnet.id, type: .subnet) }
        for port in try await service.ports(ofNetwork: networkID) where port.deviceOwner == DeviceOwners.dhcp {
            try await routing.forget(topID: port.id, type: .port)
        }
        try await removeEverywhere(.network, id: networkID)
    }

    func removeEverywhere(subnetID: String, context: PodCallContext) async throws {
        if let doc = try await service.documents.get(.subnets, id: subnetID) {
            for port in try await service.ports(ofNetwork: doc.parentID) where port.deviceOwner == DeviceOwners.dhcp
                && port.fixedIPs.contains(where: { $0.subnetID == subnetID }) {
                try await removeEverywhere(.port, id: port.id)
            }
        }
        try await removeEverywhere(.subnet, id: subnetID)
    }

    func removeEverywhere(portID: String, context: PodCallContext) async throws { try await removeEverywhere(.port, id: portID) }
    func removeEverywhere(securityGroupID: String, context: PodCallContext) async throws { try await removeEverywhere(.securityGroup, id: securityGroupID) }
    func removeEverywhere(routerID: String, context: PodCallContext) async throws { try await removeEverywhere(.router, id: routerID) }
    func removeEverywhere(floatingIPID: String, context: PodCallContext) async throws { try await removeEverywhere(.floatingIP, id: floatingIPID) }

    /// Ports a boot made (Nova's own ports) whose server is gone: the pod's copy is unbound or missing.
    /// Nova deletes such ports with the server; the top learns of it here, before the network (or, given
    /// `subnetID`, that subnet) goes: a client that deleted its servers without waiting for them to be gone
    /// never let the top see the end of the delete.
    func reclaimBootPorts(networkID: String, subnetID: String? = nil) async throws {
        let candidates = try await service.ports(ofNetwork: networkID).filter {
            Self.madeForBoot($0) && (subnetID == nil || $0.fixedIPs.contains { $0.subnetID == subnetID })
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for port in candidates {
                group.addTask {
                    let rows = try await routing.resolve(topID: port.id, type: .port, projectID: nil)
                    for row in rows {
                        guard let bottomID = row.bottomID, let pod = try await service.runtime.podDirectory.pod(id: row.podID) else { continue }
                        let bound: Bool
                        do {
                            let answer = try await pods.call("GET", "/ports/\(bottomID)", in: pod)
                            bound = !(answer["port"]?["device_id"]?.stringValue ?? "").isEmpty
                        } catch let error as PodNeutronError where error.status == 404 {
                            bound = false
                        }
                        if bound { return }
                    }
                    try await disassociateFloatingIPs(ofPort: port.id)
                    try await cleanup(.port, id: port.id)
                    try await service.documents.delete(.ports, id: port.id)
                }
            }
            try await group.waitForAll()
        }
    }

    /// Empties a pod's network copy that is going, so its delete succeeds now rather than after retries
    /// while other jobs catch up: the copy's floating IPs, the gateway's own ports (shadows, a floating
    /// IP's bridge holder, copies of top ports already gone), then routers' interfaces (a floating IP
    /// through one keeps it) and gateways on it. The top let the network go, so nothing else is on it but
    /// DHCP ports (which go with it) and ports Nova bound to servers: those are Nova's to delete, and the
    /// network's delete waits for them (409, retried by the job).
    func clearNetworkCopy(_ bottomNetwork: String, in pod: Pod) async throws {
        let fields = ["id", "name", "device_owner", "device_id"].map { "fields=\($0)" }.joined(separator: "&")
        let ports = try await pods.call("GET", "/ports?network_id=\(bottomNetwork)&\(fields)", in: pod)["ports"]?.arrayValue ?? []
        var floatingIPs: [String] = [], plain: [(id: String, name: String, shadow: Bool)] = []
        var interfaces: [(router: String, port: String)] = [], gateways: Set<String> = []
        for port in ports {
            guard let id = port["id"]?.stringValue else { continue }
            let owner = port["device_owner"]?.stringValue ?? "", device = port["device_id"]?.stringValue ?? ""
            switch owner {
            case DeviceOwners.dhcp: continue
            case DeviceOwners.floatingIP where !device.isEmpty: floatingIPs.append(device)
            case DeviceOwners.routerInterface where !device.isEmpty: interfaces.append((device, id))
            case DeviceOwners.routerGateway where !device.isEmpty: gateways.insert(device)
            case ShadowPort.deviceOwner: plain.append((id, port["name"]?.stringValue ?? "", true))
            case let other where other.hasPrefix("compute:") || other.hasPrefix("network:"): continue
            default: plain.append((id, port["name"]?.stringValue ?? "", false))
            }
        }
        let gone = (floatingIPs, plain)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for fip in gone.0 { group.addTask { try await pods.delete("floatingips", id: fip, in: pod) } }
            for port in gone.1 {
                group.addTask {
                    if port.shadow { try await removeShadow(port.id, name: port.name, in: pod) } else { try await pods.delete("ports", id: port.id, in: pod) }
                }
            }
            try await group.waitForAll()
        }
        let attached = (interfaces, gateways)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (router, port) in attached.0 { group.addTask { try await removeInterface(port, of: router, in: pod) } }
            for router in attached.1 {
                group.addTask {
                    do {
                        try await pods.call("PUT", "/routers/\(router)", body: ["router": ["external_gateway_info": .null]], in: pod)
                    } catch let error as PodNeutronError where error.status == 404 {
                        return
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Removes one interface of a pod router; routes through it (which Neutron says keep it) go first when
    /// they do, and the router's sync sets the others again. Gone already counts as done.
    func removeInterface(_ port: String, of router: String, in pod: Pod) async throws {
        let body: JSONValue = ["port_id": .string(port)]
        do {
            try await pods.call("PUT", "/routers/\(router)/remove_router_interface", body: body, in: pod)
        } catch let error as PodNeutronError where error.status == 404 {
            return
        } catch let error as PodNeutronError where error.status == 409 {
            do {
                try await pods.call("PUT", "/routers/\(router)", body: ["router": ["routes": []]], in: pod)
                try await pods.call("PUT", "/routers/\(router)/remove_router_interface", body: body, in: pod)
            } catch let again as PodNeutronError where again.status == 404 {
                return
            }
        }
    }

    /// A pod's router must lose its interfaces before Neutron lets it go.
    func detachAll(router: String, in pod: Pod) async throws {
        // Routes through an interface keep Neutron from removing it: they go first. A router gone already
        // (another job removed it) has nothing left to detach.
        do {
            try await pods.call("PUT", "/routers/\(router)", body: ["router": ["routes": []]], in: pod)
        } catch let error as PodNeutronError where error.status == 404 {
            return
        }
        let ports = try await pods.call("GET", "/ports?device_id=\(router)&device_owner=network:router_interface", in: pod)["ports"]?.arrayValue ?? []
        for port in ports {
            guard let id = port["id"]?.stringValue else { continue }
            do {
                try await removeInterface(id, of: router, in: pod)
            } catch let error as PodNeutronError where error.status == 409 {
                // A floating IP through the interface keeps it (Neutron's rule). The router is leaving this pod,
                // so its floating IP copies here are stale (a floating IP still wanted is made again by its sync).
                let fips = try await pods.call("GET", "/floatingips?router_id=\(router)&fields=id", in: pod)["floatingips"]?.arrayValue ?? []
                for fip in fips.compactMap({ $0["id"]?.stringValue }) { try await pods.delete("floatingips", id: fip, in: pod) }
                try await removeInterface(id, of: router, in: pod)
            }
        }
    }
}
