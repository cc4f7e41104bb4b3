import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// L3 east-west across pods: a top router becomes one router in every pod holding one of its networks.
/// Each pod's router takes the pod's own gateway address (reserved at the top) on its subnets; when the
/// networks span several pods the routers are joined over the project's bridge network, and each gets
/// routes to what the others serve: whole CIDRs of networks it does not hold, /32s for the remote ports
/// of networks stretched over both (the original Tricircle's scheme). Run by the `neutron_sync` job.
struct RouterSync: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    let copies: PodCopies
    let northSouth: NorthSouthBridge
    let bridges: BridgeNetworks
    let cleaner: PodCopyCleaner
    let queue: NeutronSyncQueue

    /// Converges the pods' routers of one top router (see the type comment).
    func syncRouter(_ routerID: String, logger: Logger) async throws {
        let admin = NeutronCaller(projectID: "", isAdmin: true)
        guard let (router, _) = try? await service.router(routerID, admin) else {
            return try await forgetRouter(routerID, project: nil)
        }
        let interfaces = try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: [routerID]))
            .map { try service.model(NeutronPort.self, $0) }.filter { $0.deviceOwner == DeviceOwners.routerInterface }
        // Which attached subnets each pod holds.
        var collected: [(subnet: Subnet, network: Network)] = []
        for port in interfaces {
            for fixed in port.fixedIPs {
                guard let subnetID = fixed.subnetID, let (subnet, _) = try? await service.subnet(subnetID, admin),
                      let (network, _) = try? await service.network(subnet.networkID, admin) else { continue }
                collected.append((subnet, network))
            }
        }
        let attached = collected
        var holders: [String: Set<String>] = [:]
        for (_, network) in attached where holders[network.id] == nil {
            holders[network.id] = Set(try await routing.resolve(topID: network.id, type: .network, projectID: nil).map(\.podID))
        }
        let podsByNetwork = holders
        let networkPods = podsByNetwork.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        // With a gateway, the external network's pod holds the router too (north-south, NorthSouth.swift).
        let plan = try await northSouth.northSouthPlan(router)
        let podIDs = networkPods.union(plan.map { [$0.externalPod.podID] } ?? []).sorted()
        // Pods whose router no longer serves any attached network lose it.
        for row in try await routing.routings.lookup(topID: routerID, resourceType: .router, projectID: nil) where !podIDs.contains(row.podID) {
            try await cleaner.cleanupRow(row, kind: .router)
        }
        guard !podIDs.isEmpty else {
            try await northSouth.releaseNorthSouthBridge(routerID: routerID, project: router.projectID)
            return
        }
        var found: [Pod] = []
        for id in podIDs { if let pod = try await podDirectory.pod(id: id) { found.append(pod) } }
        let targets = found
        // East-west: pods holding the router's networks are joined over the project's bridge.
        let joined = networkPods.count > 1
        let bridge = joined ? try await bridges.bridge(project: router.projectID) : nil
        // North-south: pods other than the external one reach it over the router's own bridge.
        var nsBridge: (Network, Subnet)?
        if let plan, targets.contains(where: { $0.podID != plan.externalPod.podID }) {
            nsBridge = try await bridges.northSouthBridge(routerID: routerID)
        }
        let routerNSBridge = nsBridge
        let context = NeutronSyncQueue.jobContext(project: router.projectID)

        // Each pod's router with its local interfaces (and its bridge address), pods in parallel.
        let bridgeAddresses = try await Fanout.all(targets) { pod in
            let local = attached.filter { podsByNetwork[$0.network.id]?.contains(pod.podID) == true }
            let bottomRouter = try await ensureRouter(router, in: pod, context: context)
            var keep: Set<String> = []
            for (subnet, network) in local {
                try await attach(subnet: subnet, network: network, device: "pod-gateway:\(pod.podID)",
                                 router: bottomRouter, in: pod, context: context)
                keep.insert(subnet.id)
            }
            var address: String?
            if let (bridgeNetwork, bridgeSubnet) = bridge, networkPods.contains(pod.podID) {
                address = try await attach(subnet: bridgeSubnet, network: bridgeNetwork, device: "bridge:\(routerID):\(pod.podID)",
                                           router: bottomRouter, in: pod, context: context, owner: DeviceOwners.bridge)
                keep.insert(bridgeSubnet.id)
            }
            keep.formUnion(try await northSouth.syncGateway(plan, bridge: routerNSBridge, router: router, bottomRouter: bottomRouter,
                                                 in: pod, context: context))
            try await detachOthers(router: bottomRouter, keeping: keep, in: pod)
            return (pod.podID, address)
        }.reduce(into: [String: String]()) { out, answer in if let address = answer.1 { out[answer.0] = address } }
        // Routes: each pod reaches the others' subnets through their bridge addresses, plus the top router's
        // extra routes as `extraRoutes` translates them for the pod.
        var held: [String: [Subnet]] = [:]
        for pod in targets {
            held[pod.podID] = attached.filter { podsByNetwork[$0.network.id]?.contains(pod.podID) == true }.map(\.subnet)
            if let plan, plan.externalPod.podID == pod.podID { held[pod.podID, default: []] += plan.externalSubnets }
        }
        let heldSubnets = held
        try await Fanout.each(targets) { pod in
            var routes: [HostRoute] = []
            for other in targets where joined && other.podID != pod.podID {
                guard let hop = bridgeAddresses[other.podID] else { continue }
                for (subnet, network) in attached where podsByNetwork[network.id]?.contains(other.podID) == true {
                    if podsByNetwork[network.id]?.contains(pod.podID) == true {
                        // Stretched: only the remote pod's own ports are over there.
                        for port in try await service.ports(ofNetwork: network.id) where port.deviceOwner.hasPrefix("compute:") {
                            guard try await routing.resolve(topID: port.id, type: .port, podID: other.podID, projectID: nil) != nil else { continue }
                            for fixed in port.fixedIPs where fixed.subnetID == subnet.id {
                                if let ip = fixed.ipAddress { routes.append(HostRoute(destination: "\(ip)/32", nexthop: hop)) }
                            }
                        }
                    } else {
                        routes.append(HostRoute(destination: subnet.cidr, nexthop: hop))
                    }
                }
            }
            for route in Self.extraRoutes(router.routes, in: pod.podID, held: heldSubnets, bridgeAddresses: bridgeAddresses)
            where !routes.contains(route) {
                routes.append(route)
            }
            guard let bottomRouter = try await routing.resolve(topID: routerID, type: .router, podID: pod.podID, projectID: nil)?.bottomID
            else { return }
            try await pods.call("PUT", "/routers/\(bottomRouter)", body: ["router": ["routes": .array(routes.map {
                ["destination": .string($0.destination), "nexthop": .string($0.nexthop)]
            })]], in: pod, requestID: context.requestID)
        }
        if let routerNSBridge {
            try await northSouth.pruneNorthSouthBridge(routerNSBridge, keeping: Set(targets.map(\.podID)))
        } else {
            try await northSouth.releaseNorthSouthBridge(routerID: routerID, project: router.projectID)
        }
        // Deleted at the top meanwhile: its removal may have run before these copies were made.
        if try await service.documents.get(.routers, id: routerID) == nil {
            return try await forgetRouter(routerID, project: router.projectID)
        }
        // Floating IPs through this router need its pods' side first: now they can be set up.
        if plan != nil { try await queue.scheduleFloatingIPs(ofRouter: routerID, project: router.projectID) }
        logger.info("routers set up", metadata: ["router": "\(routerID)", "pods": "\(targets.map(\.regionName))"])
    }

    /// A router gone at the top: every pod copy goes (recorded ones, and any named by its id that a sync
    /// racing the delete made after the removal looked), then its bridges once unused.
    func forgetRouter(_ routerID: String, project: String?) async throws {
        let rows = try await routing.routings.lookup(topID: routerID, resourceType: .router, projectID: nil)
        for row in rows { try await cleaner.cleanupRow(row, kind: .router) }
        try await Fanout.each(try await podDirectory.bottomPods()) { pod in
            guard let stray = try await pods.find("routers", name: routerID, in: pod) else { return }
            try await cleaner.detachAll(router: stray, in: pod)
            try await pods.delete("routers", id: stray, in: pod)
        }
        if let project = project ?? rows.first?.projectID { try await releaseBridge(routerID: routerID, project: project) }
        try await northSouth.releaseNorthSouthBridge(routerID: routerID, project: project ?? "")
    }

    /// The top router's extra routes for one pod's router. A route whose nexthop is on a subnet the pod holds
    /// (its router is attached to the pod's copy) goes as is; otherwise, when the pods are joined, it goes
    /// to the bridge address of the first pod (by id) holding the nexthop's subnet, whose router forwards it
    /// with the route as is; a nexthop on no subnet a pod of the router holds is left out.
    static func extraRoutes(_ routes: [HostRoute], in podID: String, held: [String: [Subnet]], bridgeAddresses: [String: String]) -> [HostRoute] {
        func holds(_ pod: String, _ hop: IPAddress) -> Bool {
            held[pod]?.contains { IPNetwork.parse($0.cidr).map { $0.0.contains(hop) } == true } == true
        }
        return routes.compactMap { route in
            guard let hop = IPAddress(route.nexthop) else { return nil }
            if holds(podID, hop) { return route }
            guard bridgeAddresses[podID] != nil,
                  let other = held.keys.sorted().first(where: { $0 != podID && holds($0, hop) && bridgeAddresses[$0] != nil }),
                  let address = bridgeAddresses[other] else { return nil }
            return HostRoute(destination: route.destination, nexthop: address)
        }
    }

    func ensureRouter(_ router: NeutronRouter, in pod: Pod, context: PodCallContext) async throws -> String {
        try await routing.ensure(
            topID: router.id, type: .router, podID: pod.podID, projectID: router.projectID,
            findExisting: { try await pods.find("routers", name: router.id, in: pod) },
            create: {
                let answer = try await pods.call("POST", "/routers", body: ["router": [
                    "name": .string(router.id), "project_id": .string(router.projectID), "admin_state_up": .bool(router.adminStateUp),
                ]], in: pod, requestID: context.requestID)
                guard let id = answer["router"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "router create answered no id")
                }
                return id
            })
    }

    /// Puts the pod's router on the pod's copy of `subnet` at an address reserved at the top for `device`
    /// (the pod's gateway on tenant subnets, the router's own address on the bridge). Returns the address.
    @discardableResult
    func attach(subnet: Subnet, network: Network, device: String, router: String, in pod: Pod, context: PodCallContext,
                owner: String = DeviceOwners.reservedGateway) async throws -> String? {
        let bottomNetwork = try await copies.ensureNetwork(network, in: pod, context: context)
        let bottomSubnet = try await copies.ensureSubnet(subnet, bottomNetwork: bottomNetwork, in: pod, context: context)
        guard let address = try await copies.reserve(subnet, owner: owner, device: device).fixedIPs.first?.ipAddress else { return nil }
        let present = try await pods.call("GET", "/ports?device_id=\(router)&network_id=\(bottomNetwork)", in: pod)["ports"]?.arrayValue ?? []
        if present.contains(where: { $0["fixed_ips"]?.arrayValue?.contains { $0["ip_address"]?.stringValue == address } == true }) {
            return address
        }
        if owner == DeviceOwners.reservedGateway {
            // The pod's subnet has this address as its gateway: Neutron puts the interface there itself.
            try await pods.call("PUT", "/routers/\(router)/add_router_interface", body: ["subnet_id": .string(bottomSubnet)],
                                in: pod, requestID: context.requestID)
            return address
        }
        let port = try await pods.call("POST", "/ports", body: ["port": [
            "network_id": .string(bottomNetwork), "name": .string("interface_\(router)_\(subnet.id)"), "project_id": .string(subnet.projectID),
            "fixed_ips": [["subnet_id": .string(bottomSubnet), "ip_address": .string(address)]],
        ]], in: pod, requestID: context.requestID)
        guard let portID = port["port"]?["id"]?.stringValue else {
            throw PodNeutronError(region: pod.regionName, status: nil, message: "port create answered no id")
        }
        try await pods.call("PUT", "/routers/\(router)/add_router_interface", body: ["port_id": .string(portID)], in: pod, requestID: context.requestID)
        return address
    }

    /// Removes the pod router's interfaces on subnets whose top subnet is no longer attached (by the
    /// bottom subnets' names, which are the top ids).
    func detachOthers(router: String, keeping topSubnets: Set<String>, in pod: Pod) async throws {
        let ports = try await pods.call("GET", "/ports?device_id=\(router)&device_owner=network:router_interface", in: pod)["ports"]?.arrayValue ?? []
        for port in ports {
            guard let portID = port["id"]?.stringValue, let bottomSubnet = port["fixed_ips"]?.arrayValue?.first?["subnet_id"]?.stringValue
            else { continue }
            let subnet: JSONValue
            do {
                subnet = try await pods.call("GET", "/subnets/\(bottomSubnet)?fields=name", in: pod)
            } catch let error as PodNeutronError where error.status == 404 {
                continue  // its network went meanwhile, and the interface with it
            }
            guard let top = subnet["subnet"]?["name"]?.stringValue, !topSubnets.contains(top) else { continue }
            // Routes through the interface would keep it: they go when they do; the caller sets them again afterwards.
            try await cleaner.removeInterface(portID, of: router, in: pod)
        }
    }

    /// After a router is gone: its bridge addresses are released, and the project's bridge network with its
    /// pod copies goes once no router uses it any more.
    func releaseBridge(routerID: String, project: String) async throws {
        guard let doc = try await service.documents.get(.networks, uniqueKey: "bridge:\(project)") else { return }
        let ports = try await service.ports(ofNetwork: doc.id)
        for port in ports where port.deviceID.hasPrefix("bridge:\(routerID):") {
            try await service.documents.delete(.ports, id: port.id)
        }
        guard !ports.contains(where: { $0.deviceOwner == DeviceOwners.bridge && !$0.deviceID.hasPrefix("bridge:\(routerID):") }) else { return }
        try await cleaner.removeEverywhere(networkID: doc.id, context: NeutronSyncQueue.jobContext(project: project))
        for subnet in try await service.subnets(ofNetwork: doc.id) { try await service.documents.delete(.subnets, id: subnet.id) }
        try await service.documents.delete(.networks, id: doc.id)
    }
}
