import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// Deletes the pods' copies of top resources: now when the pods answer, else by a `neutron_cleanup` job.
/// Each routing row goes once its copy is gone, so a cleanup repeated after a crash finds only what is left.
struct PodCopyCleaner: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    let queue: NeutronSyncQueue
    /// A port's shadows go with its real copies; a network copy's shadows before it.
    let shadows: ShadowPortKeeper
    let logger = Logger(label: "tricircle.network.cleanup")

    /// Deletes the pods' copies of a top resource now, or (a pod not answering) by a job later.
    func removeEverywhere(_ kind: SyncKind, id: String) async throws {
        do {
            try await cleanup(kind, id: id)
        } catch {
            logger.warning("a pod's copy could not be deleted now; a job will retry", metadata: ["kind": "\(kind.rawValue)", "top_id": "\(id)", "error": "\(error)"])
            try await queue.scheduleCleanup(kind, id: id)
        }
    }

    /// Deletes every copy still recorded for a top resource, pods in parallel; each row goes once its copy is gone.
    func cleanup(_ kind: SyncKind, id: String) async throws {
        let rows = try await routing.routings.lookup(topID: id, resourceType: kind.resourceType, projectID: nil)
        try await Fanout.each(rows) { row in try await cleanupRow(row, kind: kind) }
        if kind == .port { try await shadows.removeShadows(ofPort: id) }  // a port's shadows go with its real copies
    }

    /// Deletes one pod's copy and its routing row.
    func cleanupRow(_ row: ResourceRouting, kind: SyncKind) async throws {
        if let bottomID = row.bottomID, let pod = try await podDirectory.pod(id: row.podID) {
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
        enum Removal: Sendable { case floatingIP(String), port(id: String, name: String, shadow: Bool) }
        try await Fanout.each(floatingIPs.map(Removal.floatingIP) + plain.map { Removal.port(id: $0.id, name: $0.name, shadow: $0.shadow) }) { removal in
            switch removal {
            case .floatingIP(let fip): try await pods.delete("floatingips", id: fip, in: pod)
            case .port(let id, let name, shadow: true): try await shadows.removeShadow(id, name: name, in: pod)
            case .port(let id, _, shadow: false): try await pods.delete("ports", id: id, in: pod)
            }
        }
        enum Detach: Sendable { case interface(router: String, port: String), gateway(router: String) }
        try await Fanout.each(interfaces.map { Detach.interface(router: $0.router, port: $0.port) } + gateways.map(Detach.gateway)) { detach in
            switch detach {
            case .interface(let router, let port):
                try await removeInterface(port, of: router, in: pod)
            case .gateway(let router):
                do {
                    try await pods.call("PUT", "/routers/\(router)", body: ["router": ["external_gateway_info": .null]], in: pod)
                } catch let error as PodNeutronError where error.status == 404 {
                    return
                }
            }
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
