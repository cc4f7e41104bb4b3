import Foundation
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
struct NorthSouthBridge: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    let copies: PodCopies
    let cleaner: PodCopyCleaner

    // MARK: placement of the external network

    /// The pod holding an external network: where it is already materialized, else the pod of its one
    /// availability zone hint, else the gateway's default pod for creates (`[gateway] default_availability_zone`,
    /// else the pod whose AZ sorts first).
    func externalPod(of network: Network) async throws -> Pod {
        for row in try await routing.resolve(topID: network.id, type: .network, projectID: nil) {
            if let pod = try await podDirectory.pod(id: row.podID) { return pod }
        }
        return try await podDirectory.podForCreate(availabilityZone: network.availabilityZoneHints.first)
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
        let bottomNetwork = try await copies.ensureNetwork(network, in: pod, context: context)
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

    /// The bridge's copy in a pod: `router:external` outside the external pod, internal in it; owned by the
    /// router's project in the pod. Returns (bottom network, bottom subnet).
    func ensureNorthSouthBridge(_ bridge: (Network, Subnet), external: Bool, project: String, in pod: Pod,
                                context: PodCallContext) async throws -> (String, String) {
        var network = bridge.0
        network.routerExternal = external
        network.projectID = project
        let bottomNetwork = try await copies.ensureNetwork(network, in: pod, context: context)
        let bottomSubnet = try await ensurePlainSubnet(bridge.1, bottomNetwork: bottomNetwork, projectID: project, in: pod, context: context)
        return (bottomNetwork, bottomSubnet)
    }

    /// Drops the router's north-south bridge (pod copies, top addresses, top network) once nothing uses it.
    func releaseNorthSouthBridge(routerID: String, project: String) async throws {
        guard let doc = try await service.documents.get(.networks, uniqueKey: "ns-bridge:\(routerID)") else { return }
        let ports = try await service.ports(ofNetwork: doc.id)
        if ports.contains(where: { $0.deviceOwner == DeviceOwners.floatingIPBridge }) { return }
        try await cleaner.removeEverywhere(networkID: doc.id, context: NeutronSyncQueue.jobContext(project: project))
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
            try await cleaner.cleanupRow(row, kind: .network)
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
            let address = try await copies.reserve(bridge.1, owner: DeviceOwners.northSouthGateway, device: "ns-gateway:\(router.id):\(pod.podID)")
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
}
