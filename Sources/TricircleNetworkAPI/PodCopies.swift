import Foundation
import Logging
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// Copies of the top's networks, subnets and ports in a pod, made once each.
///
/// Copies are named by their top id (so a creator that died is adopted, not duplicated) and created through
/// `RoutingService.ensure`, whose create-lock makes concurrent callers create each copy once. The pod gets
/// the top's CIDR with its own gateway address and DHCP port address reserved at the top, and each port
/// the top's MAC and addresses, so no two pods ever hand out the same address.
struct PodCopies: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    /// A VXLAN network reaching one more pod queues its shadow ports.
    let queue: NeutronSyncQueue
    let logger = Logger(label: "tricircle.network.copies")

    func ensureNetwork(_ network: Network, in pod: Pod, context: PodCallContext) async throws -> String {
        try await checkLocal(network, pod)
        let fresh = Mutex(false)
        let bottomID = try await routing.ensure(
            topID: network.id, type: .network, podID: pod.podID, projectID: network.projectID,
            findExisting: { try await pods.find("networks", name: network.id, in: pod) },
            create: {
                fresh.withLock { $0 = true }
                // VLAN and flat networks are joined by the fabric: a pod on another segment would be cut off.
                let fabric = network.providerNetworkType == "vlan" || network.providerNetworkType == "flat"
                let stretched = fabric ? try await !otherHolders(of: network.id, than: pod).isEmpty : false
                if stretched { try await checkSegmentOfOthers(network, joining: pod) }
                var body: [String: JSONValue] = [
                    "name": .string(network.id), "project_id": .string(network.projectID), "admin_state_up": .bool(network.adminStateUp),
                    "description": .string(network.description),
                ]
                if let security = network.portSecurityEnabled { body["port_security_enabled"] = .bool(security) }
                // The segment is the top's, so a network stretched over pods is one L2 segment (VLAN id / VNI).
                if let type = network.providerNetworkType {
                    body["provider:network_type"] = .string(type)
                    if let physnet = network.providerPhysicalNetwork { body["provider:physical_network"] = .string(physnet) }
                    if let segment = network.providerSegmentationID { body["provider:segmentation_id"] = .int(segment) }
                }
                if network.routerExternal { body["router:external"] = true }
                let answer: JSONValue
                do {
                    answer = try await pods.call("POST", "/networks", body: ["network": .object(body)], in: pod, requestID: context.requestID)
                } catch let error as PodNeutronError where fabric && (error.status == 409 || (error.status == 403 && stretched)) {
                    // The segment is taken in this region, or its policy keeps the top's segment from the copy.
                    throw segmentError(network, pod, reason: "region \(pod.regionName) answered \(error.status ?? 0): \(error.message)")
                } catch let error as PodNeutronError where error.status == 403 && body["provider:network_type"] != nil {
                    // The region's policy keeps provider attributes from the gateway's service user: the copy
                    // gets the region's own segment (fine for a network in one region; a stretched L2 segment
                    // across regions needs the attribute, so say so in the log).
                    logger.warning("region refused the top's provider segment; network copied with the region's own",
                                   metadata: ["region": "\(pod.regionName)", "network": "\(network.id)", "reason": "\(error.message)"])
                    for key in ["provider:network_type", "provider:physical_network", "provider:segmentation_id"] { body[key] = nil }
                    answer = try await pods.call("POST", "/networks", body: ["network": .object(body)], in: pod, requestID: context.requestID)
                }
                guard let id = answer["network"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "network create answered no id")
                }
                return id
            })
        if fresh.withLock({ $0 }) {
            // Two first boots of a local network in two regions at once: the earlier create-lock holds it.
            try await checkLocal(network, pod)
            // A VXLAN network reaching one more pod: that pod gets shadows of every port living elsewhere.
            await queue.scheduleShadows(of: network)
        }
        return bottomID
    }

    /// Every top subnet of the network present in the pod: top subnet id -> bottom subnet id.
    func ensureSubnets(of network: Network, bottomNetwork: String, in pod: Pod, context: PodCallContext) async throws -> [String: String] {
        let subnets = try await service.subnets(ofNetwork: network.id)
        let copies = try await Fanout.all(subnets) { subnet in
            (subnet.id, try await ensureSubnet(subnet, bottomNetwork: bottomNetwork, in: pod, context: context))
        }
        return Dictionary(copies, uniquingKeysWith: { _, last in last })
    }

    func ensureSubnet(_ subnet: Subnet, bottomNetwork: String, in pod: Pod, context: PodCallContext) async throws -> String {
        try await routing.ensure(
            topID: subnet.id, type: .subnet, podID: pod.podID, projectID: subnet.projectID,
            findExisting: { try await pods.find("subnets", name: subnet.id, in: pod) },
            create: { try await createSubnet(subnet, bottomNetwork: bottomNetwork, in: pod, context: context) })
    }

    /// Creates the pod's copy: same CIDR and pools, the pod's own gateway (reserved at the top and carved
    /// out of the pools), DHCP off until the DHCP port holds a top-allocated address, then on.
    func createSubnet(_ subnet: Subnet, bottomNetwork: String, in pod: Pod, context: PodCallContext) async throws -> String {
        guard var plan = SubnetAddressing(subnet) else {
            throw NeutronError.invalidAttribute("cidr", reason: "'\(subnet.cidr)' is not a valid IP subnet")
        }
        var gateway: String?
        if subnet.gatewayIP != nil {
            gateway = try await reserve(subnet, owner: DeviceOwners.reservedGateway, device: "pod-gateway:\(pod.podID)").fixedIPs.first?.ipAddress
        }
        if let gateway, let value = IPAddress(gateway)?.value { plan.pools = Self.carve(plan.pools, excluding: value) }
        var body: [String: JSONValue] = [
            "name": .string(subnet.id), "network_id": .string(bottomNetwork), "project_id": .string(subnet.projectID),
            "ip_version": .int(subnet.ipVersion), "cidr": .string(subnet.cidr), "gateway_ip": .string(gateway),
            "allocation_pools": .array(plan.render().map { ["start": .string($0.start), "end": .string($0.end)] }),
            "dns_nameservers": .array(subnet.dnsNameservers.map { .string($0) }),
            "host_routes": .array(subnet.hostRoutes.map { ["destination": .string($0.destination), "nexthop": .string($0.nexthop)] }),
            "enable_dhcp": false,
        ]
        if let mode = subnet.ipv6RAMode { body["ipv6_ra_mode"] = .string(mode) }
        if let mode = subnet.ipv6AddressMode { body["ipv6_address_mode"] = .string(mode) }
        let answer = try await pods.call("POST", "/subnets", body: ["subnet": .object(body)], in: pod, requestID: context.requestID)
        guard let bottomID = answer["subnet"]?["id"]?.stringValue else {
            throw PodNeutronError(region: pod.regionName, status: nil, message: "subnet create answered no id")
        }
        guard subnet.enableDHCP else { return bottomID }
        do {
            let dhcp = try await reserve(subnet, owner: DeviceOwners.dhcp, device: "reserved_dhcp_port:\(pod.podID)")
            let portBody: JSONValue = ["port": [
                "network_id": .string(bottomNetwork), "name": .string(dhcp.id), "project_id": .string(subnet.projectID),
                "mac_address": .string(dhcp.macAddress), "device_owner": .string(DeviceOwners.dhcp), "device_id": "reserved_dhcp_port",
                "fixed_ips": .array(dhcp.fixedIPs.map { ["subnet_id": .string(bottomID), "ip_address": .string($0.ipAddress)] }),
            ]]
            let bottomPort: String
            if let existing = try await pods.find("ports", name: dhcp.id, in: pod) {
                bottomPort = existing
            } else {
                let created = try await pods.call("POST", "/ports", body: portBody, in: pod, requestID: context.requestID)
                bottomPort = created["port"]?["id"]?.stringValue ?? ""
            }
            if try await routing.resolve(topID: dhcp.id, type: .port, podID: pod.podID, projectID: nil) == nil {
                try await routing.record(topID: dhcp.id, bottomID: bottomPort, podID: pod.podID, projectID: subnet.projectID, type: .port)
            }
            try await pods.call("PUT", "/subnets/\(bottomID)", body: ["subnet": ["enable_dhcp": true]], in: pod, requestID: context.requestID)
        } catch {
            // Nothing half-made: the lock is released by the caller, the pod's subnet goes too.
            try? await pods.delete("subnets", id: bottomID, in: pod)
            throw error
        }
        return bottomID
    }

    /// A network-owned top port holding one address of `subnet` for `device` (the pod's gateway or DHCP
    /// port), made once: an existing reservation is reused.
    func reserve(_ subnet: Subnet, owner: String, device: String) async throws -> NeutronPort {
        let existing = try await service.documents.list(.ports, NetworkDocumentQuery(parentIDs: [subnet.networkID], deviceIDs: [device]))
        for doc in existing {
            let port = try service.model(NeutronPort.self, doc)
            if port.fixedIPs.contains(where: { $0.subnetID == subnet.id }) { return port }
        }
        return try await service.createPort(
            PortCreate(networkID: subnet.networkID, projectID: subnet.projectID, fixedIPs: [FixedIP(subnetID: subnet.id)],
                       deviceID: device, deviceOwner: owner), NeutronCaller(projectID: subnet.projectID, isAdmin: true))
    }

    /// Pools without one address (the pod's gateway).
    static func carve(_ pools: [SubnetAddressing.Range], excluding value: UInt128) -> [SubnetAddressing.Range] {
        pools.flatMap { pool -> [SubnetAddressing.Range] in
            guard value >= pool.low, value <= pool.high else { return [pool] }
            var out: [SubnetAddressing.Range] = []
            if value > pool.low { out.append(.init(low: pool.low, high: value - 1)) }
            if value < pool.high { out.append(.init(low: value + 1, high: pool.high)) }
            return out
        }
    }

    func ensurePort(_ port: NeutronPort, bottomNetwork: String, subnets: [String: String], groups: [String],
                    in pod: Pod, context: PodCallContext) async throws -> String {
        try await routing.ensure(
            topID: port.id, type: .port, podID: pod.podID, projectID: port.projectID,
            findExisting: { try await pods.find("ports", name: port.id, in: pod) },
            create: {
                var body: [String: JSONValue] = [
                    "name": .string(port.id), "network_id": .string(bottomNetwork), "project_id": .string(port.projectID),
                    "mac_address": .string(port.macAddress), "admin_state_up": .bool(port.adminStateUp),
                    "fixed_ips": .array(port.fixedIPs.compactMap { fixed in
                        guard let top = fixed.subnetID, let bottom = subnets[top], let address = fixed.ipAddress else { return nil }
                        return ["subnet_id": .string(bottom), "ip_address": .string(address)]
                    }),
                    "allowed_address_pairs": .array(port.allowedAddressPairs.map { pair in
                        var object: [String: JSONValue] = ["ip_address": .string(pair.ipAddress)]
                        if let mac = pair.macAddress { object["mac_address"] = .string(mac) }
                        return .object(object)
                    }),
                    "binding:vnic_type": .string(port.bindingVnicType),
                ]
                if let security = port.portSecurityEnabled {
                    body["port_security_enabled"] = .bool(security)
                    if security { body["security_groups"] = .array(groups.map { .string($0) }) }
                }
                if !port.bindingProfile.isEmpty { body["binding:profile"] = .object(port.bindingProfile) }
                let answer = try await pods.call("POST", "/ports", body: ["port": .object(body)], in: pod, requestID: context.requestID)
                guard let id = answer["port"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "port create answered no id")
                }
                return id
            })
    }

}
