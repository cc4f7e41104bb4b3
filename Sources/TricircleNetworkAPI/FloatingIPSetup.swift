import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

extension DeviceOwners {
    /// A pod router's gateway address on its router's north-south bridge (pods other than the external one).
    static let northSouthGateway = "network:tricircle_ns_gateway"
    /// A bridge address standing for a floating IP of a server outside the external network's pod.
    static let floatingIPBridge = "network:tricircle_fip_bridge"
}

/// Where a top router's external gateway lands in the pods.
struct NorthSouthPlan: Sendable {
    /// The top's external network and its subnets.
    var external: Network
    var externalSubnets: [Subnet]
    /// The top router's gateway (network and the top-allocated addresses).
    var gateway: ExternalGatewayInfo
    /// The one pod holding the external network.
    var externalPod: Pod
}

/// North-south in the pods (see docs/networking-north-south.md): the external network lives in one pod; the
/// router there takes the top's gateway address on it. The router's copies in other pods reach it over the
/// router's north-south bridge, a network that is `router:external` in those pods (their routers' gateway)
/// and an internal interface of the external pod's router at the bridge subnet's gateway address. A floating
/// IP of a server in the external pod is one pod FIP with the top's address; for a server elsewhere it is
/// two (double NAT): top address -> bridge address X in the external pod (X held there by a port), and
/// X -> the server's port in the server's pod. Every address comes from the top's allocator.
extension NetworkProvisioner {
    /// The north-south bridge CIDR: distinct from the east-west bridge, because a pod router may sit on both
    /// and Neutron refuses overlapping subnets on one router.
    static let northSouthBridgeCIDR = "100.64.1.0/24"

    // MARK: placement of the external network

    /// The pod holding an external network: where it is already materialized, else the pod of its one
    /// availability zone hint, else the gateway's default pod for creates (`[gateway] default_availability_zone`,
    /// else the pod whose AZ sorts first).
    func externalPod(of network: Network) async throws -> Pod {
        for row in try await routing.resolve(topID: network.id, type: .network, projectID: nil) {
            if let pod = try await service.runtime.podDirectory.pod(id: row.podID) { return pod }
        }
        return try await service.runtime.podDirectory.podForCreate(availabilityZone: network.availabilityZoneHints.first)
    }

    /// The plan for a top router's gateway, nil when it has none.
    func northSouthPlan(_ router: NeutronRouter) async throws -> NorthSouthPlan? {
        guard let info = router.externalGatewayInfo,
              let (network, _) = try? await service.network(info.networkID, NeutronCaller(projectID: "", isAdmin: true)) else { return nil }
        return NorthSouthPlan(external: network, externalSubnets: try await service.subnets(ofNetwork: network.id), gateway: info,
                              externalPod: try await externalPod(of: network))
    }

    /// The external network's copy in its pod: `router:external`, the top's subnets with the top's CIDR,
    /// pools and gateway (no per-pod gateway: the upstream router is the network's own), DHCP off.
    /// Returns the bottom network and top subnet id -> bottom subnet id.
    func ensureExternalNetwork(_ network: Network, subnets: [Subnet], in pod: Pod, context: PodCallContext) async throws
        -> (network: String, subnets: [String: String])
    {
        let bottomNetwork = try await ensureNetwork(network, in: pod, context: context)
        var out: [String: String] = [:]
        for subnet in subnets {
            out[subnet.id] = try await ensurePlainSubnet(subnet, bottomNetwork: bottomNetwork, in: pod, context: context)
        }
        return (bottomNetwork, out)
    }

    /// A pod copy of a subnet exactly as the top has it (CIDR, pools, gateway), DHCP off.
    func ensurePlainSubnet(_ subnet: Subnet, bottomNetwork: String, projectID: String? = nil, in pod: Pod,
                           context: PodCallContext) async throws -> String {
        try await routing.ensure(
            topID: subnet.id, type: .subnet, podID: pod.podID, projectID: projectID ?? subnet.projectID,
            findExisting: { try await pods.find("subnets", name: subnet.id, in: pod) },
            create: {
                let answer = try await pods.call("POST", "/subnets", body: ["subnet": [
                    "name": .string(subnet.id), "network_id": .string(bottomNetwork), "project_id": .string(projectID ?? subnet.projectID),
                    "ip_version": .int(subnet.ipVersion), "cidr": .string(subnet.cidr), "gateway_ip": .string(subnet.gatewayIP),
                    "allocation_pools": .array(subnet.allocationPools.map { ["start": .string($0.start), "end": .string($0.end)] }),
                    "enable_dhcp": false,
                ]], in: pod, requestID: context.requestID)
                guard let id = answer["subnet"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "subnet create answered no id")
                }
                return id
            })
    }

    // MARK: the router's north-south bridge

    /// The router's north-south bridge at the top, made once (unique key `ns-bridge:<router>`), owned by
    /// no project so tenants never see it. Its gateway address is the external pod router's interface.
    func northSouthBridge(routerID: String) async throws -> (Network, Subnet) {
        try await bridgeNetwork(key: "ns-bridge:\(routerID)", name: "ns-bridge-\(routerID)", cidr: Self.northSouthBridgeCIDR, withGateway: true)
    }

    /// The bridge's copy in a pod: `router:external` outside the external pod, internal in it; owned by the
    /// router's project in the pod. Returns (bottom network, bottom subnet).
    func ensureNorthSouthBridge(_ bridge: (Network, Subnet), external: Bool, project: String, in pod: Pod,
                                context: PodCallContext) async throws -> (String, String) {
        var network = bridge.0
        network.routerExternal = external
        network.projectID = project
        let bottomNetwork = try await ensureNetwork(network, in: pod, context: context)
        let bottomSubnet = try await ensurePlainSubnet(bridge.1, bottomNetwork: bottomNetwork, projectID: project, in: pod, context: context)
        return (bottomNetwork, bottomSubnet)
    }

    /// Drops the router's north-south bridge (pod copies, top addresses, top network) once nothing uses it.
    func releaseNorthSouthBridge(routerID: String, project: String) async throws {
        guard let doc = try await service.documents.get(.networks, uniqueKey: "ns-bridge:\(routerID)") else { return }
        let ports = try await service.ports(ofNetwork: doc.id)
        if ports.contains(where: { $0.deviceOwner == DeviceOwners.floatingIPBridge }) { return }
        try await removeEverywhere(networkID: doc.id, context: Self.jobContext(project: project))
        for port in ports { try await service.documents.delete(.ports, id: port.id) }
        for subnet in try await service.subnets(ofNetwork: doc.id) { try await service.documents.delete(.subnets, id: subnet.id) }
        try await service.documents.delete(.networks, id: doc.id)
    }

    /// Pods that no longer hold the router lose the bridge's copy and their gateway address on it (their
    /// router is already gone, and its gateway port with it).
    func pruneNorthSouthBridge(_ bridge: (Network, Subnet), keeping pods: Set<String>) async throws {
        for port in try await service.ports(ofNetwork: bridge.0.id) where port.deviceOwner == DeviceOwners.northSouthGateway {
            guard let pod = port.deviceID.split(separator: ":").last.map(String.init), !pods.contains(pod) else { continue }
            try await service.documents.delete(.ports, id: port.id)
        }
        for row in try await routing.routings.lookup(topID: bridge.0.id, resourceType: .network, projectID: nil) where !pods.contains(row.podID) {
            // The pod deletes the subnet with the network: its row only needs forgetting.
            for subnetRow in try await routing.routings.lookup(topID: bridge.1.id, resourceType: .subnet, projectID: nil)
            where subnetRow.podID == row.podID {
                _ = try await routing.routings.delete(subnetRow.id)
            }
            routing.invalidate(topID: bridge.1.id, type: .subnet)
            try await cleanupRow(row, kind: .network)
        }
    }

    // MARK: a pod router's gateway

    /// Makes one pod router's gateway match the plan; returns the top subnets it must keep as interfaces
    /// (the bridge subnet, in the external pod). Called by the router sync for every pod holding the router.
    func syncGateway(_ plan: NorthSouthPlan?, bridge: (Network, Subnet)?, router: NeutronRouter, bottomRouter: String,
                     in pod: Pod, context: PodCallContext) async throws -> Set<String> {
        let current: JSONValue = try await pods.call("GET", "/routers/\(bottomRouter)", in: pod)["router"]?["external_gateway_info"] ?? .null
        var wanted: JSONValue = .null
        var keep: Set<String> = []
        if let plan, pod.podID == plan.externalPod.podID {
            let (bottomNetwork, subnets) = try await ensureExternalNetwork(plan.external, subnets: plan.externalSubnets, in: pod, context: context)
            wanted = ["network_id": .string(bottomNetwork), "enable_snat": .bool(plan.gateway.enableSnat ?? true),
                      "external_fixed_ips": .array((plan.gateway.externalFixedIPs ?? []).compactMap { fixed -> JSONValue? in
                          guard let top = fixed.subnetID, let bottom = subnets[top], let ip = fixed.ipAddress else { return nil }
                          return ["subnet_id": .string(bottom), "ip_address": .string(ip)]
                      })]
            if let bridge {
                // The other pods' default route: this router at the bridge subnet's gateway address.
                let (bottomBridge, bottomSubnet) = try await ensureNorthSouthBridge(bridge, external: false, project: router.projectID,
                                                                                    in: pod, context: context)
                let present = try await pods.call("GET", "/ports?device_id=\(bottomRouter)&network_id=\(bottomBridge)", in: pod)["ports"]?.arrayValue ?? []
                if present.isEmpty {
                    try await pods.call("PUT", "/routers/\(bottomRouter)/add_router_interface", body: ["subnet_id": .string(bottomSubnet)],
                                        in: pod, requestID: context.requestID)
                }
                keep.insert(bridge.1.id)
            }
        } else if plan != nil, let bridge {
            let (bottomBridge, bottomSubnet) = try await ensureNorthSouthBridge(bridge, external: true, project: router.projectID,
                                                                                in: pod, context: context)
            let address = try await reserve(bridge.1, owner: DeviceOwners.northSouthGateway, device: "ns-gateway:\(router.id):\(pod.podID)")
                .fixedIPs.first?.ipAddress
            wanted = ["network_id": .string(bottomBridge), "enable_snat": true,
                      "external_fixed_ips": [["subnet_id": .string(bottomSubnet), "ip_address": .string(address)]]]
        }
        if Self.sameGateway(current, wanted) { return keep }
        if current != .null, wanted != .null {
            // Neutron moves a gateway only by clearing it first when the network changes.
            if current["network_id"] != wanted["network_id"] {
                try await pods.call("PUT", "/routers/\(bottomRouter)", body: ["router": ["external_gateway_info": .null]],
                                    in: pod, requestID: context.requestID)
            }
        }
        try await pods.call("PUT", "/routers/\(bottomRouter)", body: ["router": ["external_gateway_info": wanted]],
                            in: pod, requestID: context.requestID)
        return keep
    }

    /// Whether a pod router's gateway already is the wanted one (network and addresses).
    static func sameGateway(_ current: JSONValue, _ wanted: JSONValue) -> Bool {
        if wanted == .null { return current == .null }
        guard current != .null, current["network_id"] == wanted["network_id"] else { return false }
        func addresses(_ value: JSONValue) -> Set<String> {
            Set(value["external_fixed_ips"]?.arrayValue?.compactMap { $0["ip_address"]?.stringValue } ?? [])
        }
        let wantedSnat = wanted["enable_snat"]?.boolValue ?? true
        return addresses(current) == addresses(wanted) && (current["enable_snat"]?.boolValue ?? true) == wantedSnat
    }

    // MARK: floating IPs

    /// Always queues the floating IP's sync (a new or changed association has no pod copy yet).
    func scheduleFloatingIPSync(_ id: String) async throws {
        try await service.runtime.jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: .floatingIP, topID: id))
    }

    /// Queues the sync of a router's associated floating IPs (after its pods' routers were set up, which a
    /// floating IP in a pod needs first).
    func scheduleFloatingIPs(ofRouter routerID: String, project: String) async throws {
        for doc in try await service.documents.list(.floatingIPs, NetworkDocumentQuery(projectIDs: [project])) {
            guard let fip = try? service.model(FloatingIP.self, doc), fip.routerID == routerID, fip.portID != nil else { continue }
            try await scheduleFloatingIPSync(fip.id)
        }
    }

    /// After the top's floating IP is gone: its recorded pod copies and bridge address go now (a pod that
    /// does not answer is left to the job), and its sync job runs once more. Jobs of one resource never run
    /// at once, so that job comes after any sync still making copies and removes what it made; copies still
    /// being created (a create-lock without a bottom id) are left to it.
    func removeFloatingIP(_ id: String) async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for row in try await routing.routings.lookup(topID: id, resourceType: .floatingIP, projectID: nil) where row.bottomID != nil {
                    group.addTask { try await cleanupRow(row, kind: .floatingIP) }
                }
                try await group.waitForAll()
            }
            for doc in try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: ["fip:\(id)"])) {
                let rows = try await routing.routings.lookup(topID: doc.id, resourceType: .port, projectID: nil)
                for row in rows where row.bottomID != nil { try await cleanupRow(row, kind: .port) }
                if rows.allSatisfy({ $0.bottomID != nil }) { try await service.documents.delete(.ports, id: doc.id) }
            }
        } catch {
            logger.warning("a floating IP's pod copy could not be deleted now; its sync job will", metadata: ["floatingip": "\(id)", "error": "\(error)"])
        }
        try await scheduleFloatingIPSync(id)
    }

    /// The bridge address a floating IP held (and its port in the external pod), if any.
    func releaseFloatingIPBridge(_ fipID: String) async throws {
        for doc in try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: ["fip:\(fipID)"])) {
            try await removeEverywhere(.port, id: doc.id)
            try await service.documents.delete(.ports, id: doc.id)
            // A router's sync keeps its north-south bridge while a floating IP holds an address on it; one that
            // ran meanwhile (this holder made again by a sync racing the floating IP's delete) left the bridge,
            // so the router's sync runs once more now that the address is free.
            if let key = try await service.documents.get(.networks, id: doc.parentID)?.uniqueKey, key.hasPrefix("ns-bridge:") {
                try await service.runtime.jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(
                    kind: .router, topID: String(key.dropFirst("ns-bridge:".count))))
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

    /// Converges the pods' floating IPs of one top floating IP (see the extension's comment). A server port
    /// not booted yet, or a pod router not set up yet, leaves it for later: the router sync queues this again.
    func syncFloatingIP(_ id: String, logger: Logger) async throws {
        let admin = NeutronCaller(projectID: "", isAdmin: true)
        guard let doc = try await service.documents.get(.floatingIPs, id: id),
              let fip = try? service.model(FloatingIP.self, doc),
              let portID = fip.portID, let routerID = fip.routerID, let fixedIP = fip.fixedIPAddress,
              let (router, _) = try? await service.router(routerID, admin), let plan = try await northSouthPlan(router)
        else {
            // Gone or disassociated: nothing of it stays in any pod.
            try await cleanup(.floatingIP, id: id)
            try await releaseFloatingIPBridge(id)
            return
        }
        let context = Self.jobContext(project: fip.projectID)
        let externalPod = plan.externalPod
        guard let (serverPod, serverPort) = try await serverPortCopy(portID) else {
            logger.info("floating IP waits for its port's copy in a pod", metadata: ["floatingip": "\(id)", "port": "\(portID)"])
            try await cleanup(.floatingIP, id: id)
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
            let (externalNetwork, _) = try await ensureExternalNetwork(plan.external, subnets: plan.externalSubnets, in: externalPod, context: context)
            if serverPod.podID == externalPod.podID {
                wanted.append(PodFloatingIP(pod: externalPod, network: externalNetwork, address: fip.floatingIPAddress, port: serverPort, fixedIP: fixedIP))
            } else {
                let bridge = try await northSouthBridge(routerID: routerID)
                let holder = try await reserve(bridge.1, owner: DeviceOwners.floatingIPBridge, device: "fip:\(id)")
                holderID = holder.id
                guard let bridgeAddress = holder.fixedIPs.first?.ipAddress else {
                    throw NeutronError.ipAddressGenerationFailure(network: bridge.0.id)
                }
                let (serverBridge, _) = try await ensureNorthSouthBridge(bridge, external: true, project: router.projectID, in: serverPod, context: context)
                let (externalBridge, externalBridgeSubnet) = try await ensureNorthSouthBridge(
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
                try await cleanupRow(row, kind: .floatingIP)
            }
            if serverPod.podID == externalPod.podID { try await releaseFloatingIPBridge(id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for want in wanted {
                    group.addTask { try await ensurePodFloatingIP(want, topID: id, project: fip.projectID, context: context) }
                }
                try await group.waitForAll()
            }
        } catch let error as PodNeutronError where error.status == 404 {
            // A port or copy it needs went meanwhile. If the floating IP was deleted or moved at the top, that is
            // expected: what is left goes below instead of in a retry. Otherwise the retry makes it afresh.
            let now = try await service.documents.get(.floatingIPs, id: id).flatMap { try? service.model(FloatingIP.self, $0) }
            if now?.portID == portID && now?.fixedIPAddress == fixedIP { throw error }
        }
        // Deleted or moved at the top meanwhile: its cleanup may have run before these copies were made.
        let now = try await service.documents.get(.floatingIPs, id: id).flatMap { try? service.model(FloatingIP.self, $0) }
        if now?.portID != portID || now?.fixedIPAddress != fixedIP {
            try await cleanup(.floatingIP, id: id)
            if now == nil || now?.portID == nil {
                try await releaseFloatingIPBridge(id)
                // The delete may have removed the holder's address at the top before this run made its copy in
                // the pod: that copy is found by the id this run used, not by the address that is gone.
                if let holderID { try await cleanup(.port, id: holderID) }
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
            guard let bottom = row.bottomID, let pod = try await service.runtime.podDirectory.pod(id: row.podID) else { continue }
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
