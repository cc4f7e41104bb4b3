import Foundation
import Logging
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// Materializes the top's networks, subnets, ports and security groups in a pod for a boot there.
///
/// Copies are named by their top id (so a creator that died is adopted, not duplicated) and created through
/// `RoutingService.ensure`, whose create-lock makes concurrent boots create each copy once. The pod gets
/// the top's CIDR with its own gateway address and DHCP port address reserved at the top, and each port
/// the top's MAC and addresses, so no two pods ever hand out the same address.
struct NetworkProvisioner: NetworkProvisioning {
    let service: NetworkService
    let pods: PodNeutron
    let logger = Logger(label: "tricircle.network.provisioner")

    init(service: NetworkService) {
        self.service = service
        self.pods = PodNeutron(runtime: service.runtime)
    }

    var routing: RoutingService { service.runtime.routing }

    // MARK: NetworkProvisioning

    func prepare(networks: JSONValue?, securityGroups: [String], in pod: Pod, context: PodCallContext) async throws -> PreparedNetworks {
        do {
            return try await prepareInNeutronTerms(networks: networks, securityGroups: securityGroups, in: pod, context: context)
        } catch let error as NeutronError {
            throw APIError(.init(code: error.status == 404 ? 400 : error.status), error.message, format: .fault)
        } catch let error as PodNeutronError {
            throw APIError(.serviceUnavailable, "Region \(pod.regionName) could not be prepared for the server: \(error)", format: .fault,
                           headers: [.retryAfter: "30"])
        } catch let error as RoutingError {
            throw APIError(.conflict, error.description, format: .fault)
        }
    }

    func prepareInNeutronTerms(networks: JSONValue?, securityGroups: [String], in pod: Pod, context: PodCallContext) async throws -> PreparedNetworks {
        let caller = NeutronCaller(context.caller)
        let topGroups = try await resolveGroupNames(securityGroups, caller)
        // Groups and networks are independent: the groups are made ready while the ports are prepared.
        async let bottomGroups = withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, topGroup) in topGroups.enumerated() {
                group.addTask { (index, try await ensureSecurityGroup(topGroup, in: pod, context: context)) }
            }
            var out = [String](repeating: "", count: topGroups.count)
            for try await (index, id) in group { out[index] = id }
            return out
        }
        let requests: [JSONValue]
        switch networks {
        case .array(let items):
            requests = items
        case .string(let word) where word == "none":
            return PreparedNetworks(networks: networks, securityGroups: try await bottomGroups)
        default:
            // "auto" or nothing: Nova's rule, one network available to the project is used, several are ambiguous.
            let own = try await service.documents.list(.networks, NetworkDocumentQuery(projectIDs: [caller.projectID]))
                .map { try service.model(Network.self, $0) }.filter { !$0.routerExternal }
            guard own.count <= 1 else {
                throw NeutronError(status: 409, type: "Conflict", message: "Multiple possible networks found, use a Network ID to be more specific.")
            }
            guard let only = own.first else { return PreparedNetworks(networks: networks, securityGroups: try await bottomGroups) }
            requests = [["uuid": .string(only.id)]]
        }
        let groupIDs = topGroups.map(\.id)
        // Every item is prepared whatever the others do, so a failure knows exactly which ports to release.
        let outcomes = await withTaskGroup(of: (Int, Result<(JSONValue, String, String), any Error>).self) { group in
            for (index, item) in requests.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await preparePort(item, groups: groupIDs, in: pod, context: context)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var out = [Result<(JSONValue, String, String), any Error>?](repeating: nil, count: requests.count)
            for await (index, outcome) in group { out[index] = outcome }
            return out.compactMap { $0 }
        }
        var items: [JSONValue] = []
        var created: [String] = []
        var tops: [String] = []
        var failure: (any Error)?
        for outcome in outcomes {
            switch outcome {
            case .success(let (answer, bottomPort, topPort)):
                items.append(answer)
                created.append(bottomPort)
                tops.append(topPort)
            case .failure(let error):
                failure = failure ?? error
            }
        }
        if let failure {
            // A boot that cannot have all its ports gets none of them.
            await release(PreparedNetworks(networks: nil, securityGroups: [], createdPorts: created), in: pod, context: context)
            throw failure
        }
        return PreparedNetworks(networks: .array(items), securityGroups: try await bottomGroups, createdPorts: created, topPorts: tops)
    }

    func release(_ prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async {
        await withTaskGroup(of: Void.self) { group in
            for bottomID in prepared.createdPorts {
                group.addTask {
                    do {
                        try await pods.delete("ports", id: bottomID, in: pod)
                        let rows = try await routing.routings.list(
                            filter: RoutingFilter(bottomID: bottomID, podID: pod.podID, resourceType: .port), limit: 1)
                        guard let row = rows.first else { return }
                        _ = try await routing.routings.delete(row.id)
                        routing.invalidate(topID: row.topID, type: .port)
                        // Ports the boot asked for by network were made for it; ports the client made stay.
                        if let doc = try await service.documents.get(.ports, id: row.topID),
                           let port = try? service.model(NeutronPort.self, doc), Self.madeForBoot(port) {
                            try await service.documents.delete(.ports, id: port.id)
                        }
                    } catch {
                        logger.error("could not release a port after a failed boot",
                                     metadata: ["pod": "\(pod.regionName)", "port": "\(bottomID)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Ports `prepare` made for a boot's `{"uuid": ...}` request (Nova's own ports, deleted with the server).
    static func madeForBoot(_ port: NeutronPort) -> Bool { port.deviceOwner.hasPrefix("compute:") && port.name.isEmpty }

    // MARK: one requested network or port

    /// Returns the pod-side request item (`{"port": bottom id}`) and the bottom port's id.
    /// Returns the pod's `networks` item, the pod's port id and the top port's id.
    func preparePort(_ item: JSONValue, groups: [String], in pod: Pod, context: PodCallContext) async throws -> (JSONValue, String, String) {
        let caller = NeutronCaller(context.caller)
        var port: NeutronPort
        var madeForThisBoot = false
        if let portID = item["port"]?.stringValue, !portID.isEmpty {
            port = try await service.port(portID, caller).0
            if !port.deviceID.isEmpty, try await !releasedByDeletedServer(port) {
                throw NeutronError(status: 409, type: "PortInUse", message: "Port \(portID) is still in use.")
            }
            if try await routing.resolve(topID: portID, type: .port, podID: pod.podID, projectID: nil) == nil,
               let other = try await routing.resolve(topID: portID, type: .port, projectID: nil).first {
                throw NeutronError(status: 409, type: "PortInUse", message: "Port \(portID) is already in use in pod \(other.podID).")
            }
        } else if let networkID = item["uuid"]?.stringValue {
            let (network, _) = try await service.network(networkID, caller)
            try checkZone(network, pod)
            try await checkLocal(network, pod)
            var fixed: [FixedIP]?
            if let address = item["fixed_ip"]?.stringValue { fixed = [FixedIP(ipAddress: address)] }
            // The top's AZ in the top's record (the pod's Nova writes its own AZ on its copy when it binds it).
            port = try await service.createPort(
                PortCreate(networkID: networkID, fixedIPs: fixed, deviceOwner: "compute:\(pod.azName)",
                           securityGroups: groups.isEmpty ? nil : groups), caller)
            madeForThisBoot = true
        } else {
            throw NeutronError.httpBadRequest("Bad networks format: each item needs a uuid or a port")
        }
        let network: Network
        let bottomPort: String
        do {
            (network, _) = try await service.network(port.networkID, NeutronCaller(projectID: port.projectID, isAdmin: true))
            try checkZone(network, pod)
            let bottomNetwork = try await ensureNetwork(network, in: pod, context: context)
            let subnets = try await ensureSubnets(of: network, bottomNetwork: bottomNetwork, in: pod, context: context)
            var bottomGroups: [String] = []
            for groupID in port.securityGroups {
                let (group, _) = try await service.securityGroup(groupID, NeutronCaller(projectID: port.projectID, isAdmin: true))
                bottomGroups.append(try await ensureSecurityGroup(group, in: pod, context: context))
            }
            bottomPort = try await ensurePort(port, bottomNetwork: bottomNetwork, subnets: subnets, groups: bottomGroups, in: pod, context: context)
        } catch {
            // The port made for this boot has no copy anywhere (its create is the last step): it goes again,
            // so a refused boot leaves nothing at the top.
            if madeForThisBoot {
                do { try await service.documents.delete(.ports, id: port.id) } catch {
                    logger.error("could not remove the port of a refused boot", metadata: ["port": "\(port.id)", "error": "\(error)"])
                }
            }
            throw error
        }
        // A VXLAN network in several pods: the other pods get this port's shadow, this pod theirs (by job).
        await scheduleShadows(of: network)
        // Routers on this network need this pod's side (and, across pods, routes to this port): by job.
        try await scheduleRouters(ofNetwork: network.id)
        var answer: [String: JSONValue] = ["port": .string(bottomPort)]
        if let tag = item["tag"] { answer["tag"] = tag }
        return (.object(answer), bottomPort, port.id)
    }

    /// `availability_zone_hints` limit where a network may stretch.
    func checkZone(_ network: Network, _ pod: Pod) throws {
        guard network.availabilityZoneHints.isEmpty || network.availabilityZoneHints.contains(pod.azName) else {
            throw NeutronError.httpBadRequest(
                "Network \(network.id) is not available in availability zone \(pod.azName) (availability_zone_hints: \(network.availabilityZoneHints.joined(separator: ", "))).")
        }
    }

    // MARK: copies in the pod

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
            await scheduleShadows(of: network)
        }
        return bottomID
    }

    /// Every top subnet of the network present in the pod: top subnet id -> bottom subnet id.
    func ensureSubnets(of network: Network, bottomNetwork: String, in pod: Pod, context: PodCallContext) async throws -> [String: String] {
        let subnets = try await service.subnets(ofNetwork: network.id)
        return try await withThrowingTaskGroup(of: (String, String).self) { group in
            for subnet in subnets {
                group.addTask { (subnet.id, try await ensureSubnet(subnet, bottomNetwork: bottomNetwork, in: pod, context: context)) }
            }
            var out: [String: String] = [:]
            for try await (top, bottom) in group { out[top] = bottom }
            return out
        }
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

    /// The top group's copy in the pod (created bare under the lock; its rules converge right after, so
    /// groups naming each other as remote groups never wait on each other's locks).
    func ensureSecurityGroup(_ group: SecurityGroup, in pod: Pod, context: PodCallContext) async throws -> String {
        let fresh = Mutex(false)
        let bottomID = try await routing.ensure(
            topID: group.id, type: .securityGroup, podID: pod.podID, projectID: group.projectID,
            findExisting: { try await pods.find("security-groups", name: group.id, in: pod) },
            create: {
                let answer = try await pods.call("POST", "/security-groups", body: ["security_group": [
                    "name": .string(group.id), "description": .string(group.description), "project_id": .string(group.projectID),
                ]], in: pod, requestID: context.requestID)
                guard let id = answer["security_group"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "security group create answered no id")
                }
                fresh.withLock { $0 = true }
                return id
            })
        if fresh.withLock({ $0 }) { try await syncRules(of: group.id, bottomID: bottomID, in: pod, context: context) }
        return bottomID
    }

    /// Makes the pod's copy of a group hold exactly the top's rules (remote groups translated to the pod's copies).
    func syncRules(of groupID: String, bottomID: String, in pod: Pod, context: PodCallContext) async throws {
        let topRules = try await service.rules(of: groupID)
        var wanted: [JSONValue] = []
        for rule in topRules {
            var body: [String: JSONValue] = [
                "security_group_id": .string(bottomID), "direction": .string(rule.direction), "ethertype": .string(rule.ethertype),
                "description": .string(rule.description),
            ]
            if let v = rule.protocol { body["protocol"] = .string(v) }
            if let v = rule.portRangeMin { body["port_range_min"] = .int(v) }
            if let v = rule.portRangeMax { body["port_range_max"] = .int(v) }
            if let v = rule.remoteIPPrefix { body["remote_ip_prefix"] = .string(v) }
            if let remote = rule.remoteGroupID {
                if remote == groupID {
                    body["remote_group_id"] = .string(bottomID)
                } else {
                    let (other, _) = try await service.securityGroup(remote, NeutronCaller(projectID: "", isAdmin: true))
                    body["remote_group_id"] = .string(try await ensureSecurityGroup(other, in: pod, context: context))
                }
            }
            wanted.append(.object(body))
        }
        let existing = try await pods.call("GET", "/security-group-rules?security_group_id=\(bottomID)", in: pod)["security_group_rules"]?.arrayValue ?? []
        let keys = ["direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id"]
        func key(_ rule: JSONValue) -> [JSONValue] { keys.map { rule[$0] ?? .null } }
        let wantedKeys = Set(wanted.map(key))
        let existingKeys = Set(existing.map(key))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for rule in existing where !wantedKeys.contains(key(rule)) {
                guard let id = rule["id"]?.stringValue else { continue }
                group.addTask { try await pods.delete("security-group-rules", id: id, in: pod) }
            }
            for rule in wanted where !existingKeys.contains(key(rule)) {
                group.addTask {
                    do {
                        try await pods.call("POST", "/security-group-rules", body: ["security_group_rule": rule], in: pod, requestID: context.requestID)
                    } catch let error as PodNeutronError where error.status == 409 {
                        return
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Top groups for the boot's names or ids; "default" is the project's default group, made on first use.
    func resolveGroupNames(_ names: [String], _ caller: NeutronCaller) async throws -> [SecurityGroup] {
        var out: [SecurityGroup] = []
        for name in names {
            if name == "default" {
                out.append(try await service.defaultGroup(project: caller.projectID))
                continue
            }
            if let doc = try await service.documents.get(.securityGroups, id: name), caller.owns(doc.projectID) {
                out.append(try service.model(SecurityGroup.self, doc))
                continue
            }
            let named = try await service.documents.list(.securityGroups, NetworkDocumentQuery(projectIDs: [caller.projectID], names: [name]))
            guard named.count == 1, let doc = named.first else {
                throw NeutronError(status: 400, type: "SecurityGroupNotFound",
                                   message: named.isEmpty ? "Security group \(name) not found for project \(caller.projectID)."
                                       : "Multiple security groups named \(name); use an id.")
            }
            out.append(try service.model(SecurityGroup.self, doc))
        }
        return out
    }
}
