import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// Floating IPs in the pods (north-south, see `NorthSouthBridge`): a floating IP of a server in the
/// external network's pod is one pod floating IP with the top's address; for a server elsewhere it is two
/// (double NAT) through a bridge address held in the external pod. Run by the `neutron_sync` job.
struct FloatingIPSync: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    let copies: PodCopies
    let northSouth: NorthSouthBridge
    let bridges: BridgeNetworks
    let cleaner: PodCopyCleaner
    let queue: NeutronSyncQueue
    let logger = Logger(label: "tricircle.network.floatingips")

    /// After the top's floating IP is gone: its recorded pod copies and bridge address go now (a pod that
    /// does not answer is left to the job), and its sync job runs once more. Jobs of one resource never run
    /// at once, so that job comes after any sync still making copies and removes what it made; copies still
    /// being created (a create-lock without a bottom id) are left to it.
    func removeFloatingIP(_ id: String) async throws {
        do {
            let copies = try await routing.routings.lookup(topID: id, resourceType: .floatingIP, projectID: nil).filter { $0.bottomID != nil }
            try await Fanout.each(copies) { row in try await cleaner.cleanupRow(row, kind: .floatingIP) }
            for doc in try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: ["fip:\(id)"])) {
                let rows = try await routing.routings.lookup(topID: doc.id, resourceType: .port, projectID: nil)
                for row in rows where row.bottomID != nil { try await cleaner.cleanupRow(row, kind: .port) }
                if rows.allSatisfy({ $0.bottomID != nil }) { try await service.documents.delete(.ports, id: doc.id) }
            }
        } catch {
            logger.warning("a floating IP's pod copy could not be deleted now; its sync job will", metadata: ["floatingip": "\(id)", "error": "\(error)"])
        }
        try await queue.scheduleFloatingIPSync(id)
    }

    /// The bridge address a floating IP held (and its port in the external pod), if any.
    func releaseFloatingIPBridge(_ fipID: String) async throws {
        for doc in try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: ["fip:\(fipID)"])) {
            try await cleaner.removeEverywhere(.port, id: doc.id)
            try await service.documents.delete(.ports, id: doc.id)
            // A router's sync keeps its north-south bridge while a floating IP holds an address on it; one that
            // ran meanwhile (this holder made again by a sync racing the floating IP's delete) left the bridge,
            // so the router's sync runs once more now that the address is free.
            if let key = try await service.documents.get(.networks, id: doc.parentID)?.uniqueKey, key.hasPrefix("ns-bridge:") {
                try await queue.scheduleSync(.router, id: String(key.dropFirst("ns-bridge:".count)))
            }
        }
    }

    /// One pod-side floating IP the top's wants: on `network` with `address`, on `port` at `fixedIP`.
    struct PodFloatingIP: Sendable {
        var pod: Pod
        var network: String
        var address: String
        var port: String
        var fixedIP: String
    }

    /// Converges the pods' floating IPs of one top floating IP (see `NorthSouthBridge`). A server port
    /// not booted yet, or a pod router not set up yet, leaves it for later: the router sync queues this again.
    func syncFloatingIP(_ id: String, logger: Logger) async throws {
        let admin = NeutronCaller(projectID: "", isAdmin: true)
        guard let doc = try await service.documents.get(.floatingIPs, id: id),
              let fip = try? service.model(FloatingIP.self, doc),
              let portID = fip.portID, let routerID = fip.routerID, let fixedIP = fip.fixedIPAddress,
              let (router, _) = try? await service.router(routerID, admin), let plan = try await northSouth.northSouthPlan(router)
        else {
            // Gone or disassociated: nothing of it stays in any pod.
            try await cleaner.cleanup(.floatingIP, id: id)
            try await releaseFloatingIPBridge(id)
            return
        }
        let context = NeutronSyncQueue.jobContext(project: fip.projectID)
        let externalPod = plan.externalPod
        guard let (serverPod, serverPort) = try await serverPortCopy(portID) else {
            logger.info("floating IP waits for its port's copy in a pod", metadata: ["floatingip": "\(id)", "port": "\(portID)"])
            try await cleaner.cleanup(.floatingIP, id: id)
            return
        }
        // The routers in both pods must be set up (gateway, interfaces) before Neutron accepts a floating IP.
        // The router sync queues this again when it is done, so waiting here is only returning.
        for pod in [externalPod, serverPod] {
            var ready = false
            if let row = try await routing.resolve(topID: routerID, type: .router, podID: pod.podID, projectID: nil), let bottom = row.bottomID {
                if let gateway = try await pods.call("GET", "/routers/\(bottom)", in: pod)["router"]?["external_gateway_info"], gateway != .null {
                    ready = true
                }
            }
            guard ready else {
                logger.info("floating IP waits for its router's setup", metadata: ["floatingip": "\(id)", "router": "\(routerID)"])
                return
            }
        }
        var wanted: [PodFloatingIP] = []
        var holderID: String?
        do {
            let (externalNetwork, _) = try await northSouth.ensureExternalNetwork(plan.external, subnets: plan.externalSubnets, in: externalPod, context: context)
            if serverPod.podID == externalPod.podID {
                wanted.append(PodFloatingIP(pod: externalPod, network: externalNetwork, address: fip.floatingIPAddress, port: serverPort, fixedIP: fixedIP))
            } else {
                let bridge = try await bridges.northSouthBridge(routerID: routerID)
                let holder = try await copies.reserve(bridge.1, owner: DeviceOwners.floatingIPBridge, device: "fip:\(id)")
                holderID = holder.id
                guard let bridgeAddress = holder.fixedIPs.first?.ipAddress else {
                    throw NeutronError.ipAddressGenerationFailure(network: bridge.0.id)
                }
                let (serverBridge, _) = try await northSouth.ensureNorthSouthBridge(bridge, external: true, project: router.projectID, in: serverPod, context: context)
                let (externalBridge, externalBridgeSubnet) = try await northSouth.ensureNorthSouthBridge(
                    bridge, external: false, project: router.projectID, in: externalPod, context: context)
                // The bridge address is held in the external pod by a port, the inner end of the double NAT: no
                // device owner (Neutron's floating IPs do not go to "network:" ports), no security group.
                let holderCopy = try await routing.ensure(
                    topID: holder.id, type: .port, podID: externalPod.podID, projectID: fip.projectID,
                    findExisting: { try await pods.find("ports", name: holder.id, in: externalPod) },
                    create: {
                        let answer = try await pods.call("POST", "/ports", body: ["port": [
                            "name": .string(holder.id), "network_id": .string(externalBridge), "project_id": .string(fip.projectID),
                            "mac_address": .string(holder.macAddress), "port_security_enabled": false,
                            "fixed_ips": [["subnet_id": .string(externalBridgeSubnet), "ip_address": .string(bridgeAddress)]],
                        ]], in: externalPod, requestID: context.requestID)
                        guard let id = answer["port"]?["id"]?.stringValue else {
                            throw PodNeutronError(region: externalPod.regionName, status: nil, message: "port create answered no id")
                        }
                        return id
                    })
                wanted.append(PodFloatingIP(pod: serverPod, network: serverBridge, address: bridgeAddress, port: serverPort, fixedIP: fixedIP))
                wanted.append(PodFloatingIP(pod: externalPod, network: externalNetwork, address: fip.floatingIPAddress, port: holderCopy,
                                            fixedIP: bridgeAddress))
            }
            // Pod copies that are not exactly what is wanted go (a moved association is made afresh).
            for row in try await routing.routings.lookup(topID: id, resourceType: .floatingIP, projectID: nil) {
                if let want = wanted.first(where: { $0.pod.podID == row.podID }), let bottom = row.bottomID,
                   let current = try? await pods.call("GET", "/floatingips/\(bottom)", in: want.pod)["floatingip"],
                   current["floating_network_id"]?.stringValue == want.network, current["floating_ip_address"]?.stringValue == want.address,
                   current["port_id"]?.stringValue == want.port {
                    continue
                }
                try await cleaner.cleanupRow(row, kind: .floatingIP)
            }
            if serverPod.podID == externalPod.podID { try await releaseFloatingIPBridge(id) }
            try await Fanout.each(wanted) { want in try await ensurePodFloatingIP(want, topID: id, project: fip.projectID, context: context) }
        } catch let error as PodNeutronError where error.status == 404 {
            // A port or copy it needs went meanwhile. If the floating IP was deleted or moved at the top, that is
            // expected: what is left goes below instead of in a retry. Otherwise the retry makes it afresh.
            let now = try await service.documents.get(.floatingIPs, id: id).flatMap { try? service.model(FloatingIP.self, $0) }
            if now?.portID == portID && now?.fixedIPAddress == fixedIP { throw error }
        }
        // Deleted or moved at the top meanwhile: its cleanup may have run before these copies were made.
        let now = try await service.documents.get(.floatingIPs, id: id).flatMap { try? service.model(FloatingIP.self, $0) }
        if now?.portID != portID || now?.fixedIPAddress != fixedIP {
            try await cleaner.cleanup(.floatingIP, id: id)
            if now == nil || now?.portID == nil {
                try await releaseFloatingIPBridge(id)
                // The delete may have removed the holder's address at the top before this run made its copy in
                // the pod: that copy is found by the id this run used, not by the address that is gone.
                if let holderID { try await cleaner.cleanup(.port, id: holderID) }
            }
            return
        }
        logger.info("floating IP set up", metadata: ["floatingip": "\(id)", "pods": "\(wanted.map(\.pod.regionName))"])
    }

    /// The pod FIP for `want`, created once (found again by its address on its network) and associated.
    func ensurePodFloatingIP(_ want: PodFloatingIP, topID: String, project: String, context: PodCallContext) async throws {
        let pod = want.pod
        let bottom = try await routing.ensure(
            topID: topID, type: .floatingIP, podID: pod.podID, projectID: project,
            findExisting: {
                try await pods.call("GET", "/floatingips?floating_network_id=\(want.network)&floating_ip_address=\(want.address)&fields=id", in: pod)[
                    "floatingips"]?.at(0)?["id"]?.stringValue
            },
            create: {
                let answer = try await pods.call("POST", "/floatingips", body: ["floatingip": [
                    "floating_network_id": .string(want.network), "floating_ip_address": .string(want.address),
                    "port_id": .string(want.port), "fixed_ip_address": .string(want.fixedIP), "project_id": .string(project),
                    "description": .string(topID),
                ]], in: pod, requestID: context.requestID)
                guard let id = answer["floatingip"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "floating IP create answered no id")
                }
                return id
            })
        // An adopted copy may have been left unassociated.
        let current = try await pods.call("GET", "/floatingips/\(bottom)", in: pod)["floatingip"]
        if current?["port_id"]?.stringValue != want.port {
            try await pods.call("PUT", "/floatingips/\(bottom)", body: ["floatingip": [
                "port_id": .string(want.port), "fixed_ip_address": .string(want.fixedIP),
            ]], in: pod, requestID: context.requestID)
        }
    }

    /// The pod and bottom id of a server port's copy (its own, never another pod's shadow of it).
    func serverPortCopy(_ portID: String) async throws -> (Pod, String)? {
        let rows = try await routing.resolve(topID: portID, type: .port, projectID: nil)
        for row in rows {
            guard let bottom = row.bottomID, let pod = try await podDirectory.pod(id: row.podID) else { continue }
            if rows.count > 1 {
                let owner = try await pods.call("GET", "/ports/\(bottom)?fields=device_owner", in: pod)["port"]?["device_owner"]?.stringValue ?? ""
                if owner.contains("shadow") { continue }
            }
            return (pod, bottom)
        }
        return nil
    }
}

extension JSONValue {
    /// The element at `index` of an array (nil for other values or out of range).
    fileprivate func at(_ index: Int) -> JSONValue? {
        guard let items = arrayValue, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
