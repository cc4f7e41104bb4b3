import Foundation
import Logging
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

// Shadow ports (original Tricircle): a VXLAN network stretched over pods is one L2 segment, but each pod's
// Neutron only knows the ports booted there. Every port that really lives in pod A is mirrored in every
// other pod B holding the network as a port with the same MAC and addresses, `device_owner` compute:shadow
// and named `shadow_<top port id>`, so B's IPAM never hands out A's addresses and B's L2 population can
// reach them. The binding profile says where the port really lives; shadows are never bound in B (no
// `binding:host_id`), so binding can never fail because of them.
//
// The routing table records each shadow as a `shadow_port` row (top port id, pod B, B's port id), apart
// from the port's real `port` rows, so "where does this port live" stays one answer.

/// `shadow_port_setup`: makes the shadow ports of one VXLAN network match where its ports live (one job per
/// network, coalesced). Convergent: it reads the top's ports, their real copies and each pod's shadows,
/// creates what is missing, adopts a shadow left by a run that died, and deletes extras and stale shadows.
struct ShadowPortJob: JobHandler {
    struct Payload: Codable, Sendable {
        var networkID: String
        enum CodingKeys: String, CodingKey {
            case networkID = "network_id"
        }
    }

    static let type = "shadow_port_setup"
    static let resourceKeys = ["network_id"]
    let shadows: ShadowPortKeeper

    func run(_ payload: Payload, context: JobContext) async throws {
        try await shadows.syncShadows(networkID: payload.networkID, logger: context.logger)
    }
}

/// What marks and names a shadow port in a pod.
enum ShadowPort {
    static let deviceOwner = "compute:shadow"
    static let namePrefix = "shadow_"

    static func name(of topPortID: String) -> String { namePrefix + topPortID }

    /// The top port id a pod port named like a shadow stands for.
    static func topPortID(fromName name: String) -> String? {
        guard name.hasPrefix(namePrefix), name.count > namePrefix.count else { return nil }
        return String(name.dropFirst(namePrefix.count))
    }

    /// Ports of the top that get shadows: those a pod holds for a server or a client, not the network's own
    /// (each pod has its own DHCP port and gateway address, reserved at the top already).
    static func isMirrored(_ port: NeutronPort) -> Bool { !port.deviceOwner.hasPrefix("network:") }
}

/// Keeps the shadow ports of stretched VXLAN networks (see the comment at the top): converges them per
/// network for `shadow_port_setup`, and removes a port's or a network copy's shadows when those go.
struct ShadowPortKeeper: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    /// The shadows' subnets in a pod are that pod's copies of the top's.
    let copies: PodCopies

    /// Shadows one job run creates in one pod at a time.
    static let shadowConcurrency = 16
    /// What the job reads of a pod's ports.
    static let listedFields = ["id", "name", "device_owner", "mac_address", "fixed_ips", "binding:host_id", "binding:profile"].map { "&fields=\($0)" }.joined()

    /// Converges the shadow ports of one network in every pod holding it, pods in parallel.
    func syncShadows(networkID: String, logger: Logger) async throws {
        // A network deleted meanwhile: its delete removed the shadows with the pods' copies.
        guard let doc = try await service.documents.get(.networks, id: networkID) else { return }
        let network = try service.model(Network.self, doc)
        guard network.providerNetworkType == "vxlan" else { return }
        let networkRows = try await routing.routings.lookup(topID: networkID, resourceType: .network, projectID: nil).filter(\.isComplete)
        var holders: [(pod: Pod, bottomNetwork: String)] = []
        for row in networkRows {
            guard let bottom = row.bottomID, let pod = try await podDirectory.pod(id: row.podID) else { continue }
            holders.append((pod, bottom))
        }
        // Where each mirrored port really lives (its `port` rows; the cache is bypassed: a port just
        // released must not get a shadow again).
        var homes: [String: [ResourceRouting]] = [:]
        var ports: [String: NeutronPort] = [:]
        for port in try await service.ports(ofNetwork: networkID) where ShadowPort.isMirrored(port) {
            let rows = try await routing.routings.lookup(topID: port.id, resourceType: .port, projectID: nil).filter(\.isComplete)
            guard !rows.isEmpty else { continue }
            homes[port.id] = rows
            ports[port.id] = port
        }
        let podNames = Dictionary(holders.map { ($0.pod.podID, $0.pod.regionName) }, uniquingKeysWith: { first, _ in first })
        // Each pod's own ports on the network, read once per pod: the hosts of the real copies (for the
        // shadows' binding profile) and the shadows already there.
        let listings = Dictionary(try await Fanout.all(holders) { holder in
            let answer = try await pods.call(
                "GET", "/ports?network_id=\(holder.bottomNetwork)" + Self.listedFields, in: holder.pod)
            return (holder.pod.podID, answer["ports"]?.arrayValue ?? [])
        }, uniquingKeysWith: { _, last in last })
        var hosts: [String: String] = [:]  // "<pod id>|<bottom port id>" -> binding host
        for (podID, items) in listings {
            for item in items {
                guard let id = item["id"]?.stringValue, let host = item["binding:host_id"]?.stringValue, !host.isEmpty else { continue }
                hosts[podID + "|" + id] = host
            }
        }
        let context = NeutronSyncQueue.jobContext(project: network.projectID)
        let (mirrored, homesNow, hostsNow, holdersNow) = (ports, homes, hosts, holders)
        try await Fanout.each(holdersNow) { holder in
            try await convergeShadows(
                of: network, in: holder.pod, bottomNetwork: holder.bottomNetwork, listing: listings[holder.pod.podID] ?? [],
                ports: mirrored, homes: homesNow, hosts: hostsNow, podNames: podNames, context: context, logger: logger)
        }
        // A port released while this run created its shadow: its cleanup may have looked for shadows
        // before this run recorded one, so what this run made for a port that no longer lives anywhere goes.
        for portID in homes.keys {
            let rows = try await routing.routings.lookup(topID: portID, resourceType: .port, projectID: nil)
            if rows.isEmpty { try await removeShadows(ofPort: portID) }
        }
    }

    /// One pod's shadows of the network: exactly one per port living in another pod, none for anything else.
    func convergeShadows(
        of network: Network, in pod: Pod, bottomNetwork: String, listing: [JSONValue], ports: [String: NeutronPort],
        homes: [String: [ResourceRouting]], hosts: [String: String], podNames: [String: String],
        context: PodCallContext, logger: Logger
    ) async throws {
        // The pod's shadows by the top port they stand for (a run that died may have left two).
        var present: [String: [String]] = [:]
        for item in listing where item["device_owner"]?.stringValue == ShadowPort.deviceOwner {
            guard let id = item["id"]?.stringValue, let top = ShadowPort.topPortID(fromName: item["name"]?.stringValue ?? "") else { continue }
            present[top, default: []].append(id)
        }
        let wanted = homes.filter { _, rows in !rows.contains { $0.podID == pod.podID } }
        let shadowsHere = present
        let subnets = wanted.isEmpty ? [:] : try await copies.ensureSubnets(of: network, bottomNetwork: bottomNetwork, in: pod, context: context)
        // Ports in parallel, a bounded number at a time (a network may hold hundreds of ports).
        let shadowed = wanted.compactMap { portID, rows in ports[portID].flatMap { port in rows.first.map { (portID, port, $0) } } }
        let made = try await Fanout.all(shadowed, atMost: Self.shadowConcurrency) { portID, port, home in
            var profile: [String: JSONValue] = [
                "tricircle_shadow": true, "top_port_id": .string(portID), "pod_id": .string(home.podID),
                "region": .string(podNames[home.podID] ?? ""),
            ]
            if let bottom = home.bottomID, let host = hosts[home.podID + "|" + bottom] { profile["host"] = .string(host) }
            let body = shadowBody(port, bottomNetwork: bottomNetwork, subnets: subnets, profile: profile)
            // Of several shadows (a run that died), the one already carrying the port's MAC is kept.
            let candidates = shadowsHere[portID] ?? []
            let carriesMAC = { (id: String) in
                listing.first { $0["id"]?.stringValue == id }?["mac_address"]?.stringValue == port.macAddress
            }
            let existing = candidates.filter(carriesMAC) + candidates.filter { !carriesMAC($0) }
            var (bottomID, posted) = try await ensureShadow(portID, body: body, existing: existing, in: pod, context: context)
            if !posted, !existing.contains(bottomID) {
                // The row names a shadow the pod no longer has (deleted behind our back): forget it, adopt or make one.
                try await forgetShadowRow(portID, in: pod)
                (bottomID, posted) = try await ensureShadow(portID, body: body, existing: existing, in: pod, context: context)
            }
            if !posted, let item = listing.first(where: { $0["id"]?.stringValue == bottomID }) {
                bottomID = try await refreshShadow(item, to: body, portID: portID, in: pod, context: context)
            }
            return (portID, bottomID)
        }
        let kept = Dictionary(made, uniquingKeysWith: { _, last in last })
        // Everything else named like a shadow on this network goes: extras, and shadows of ports that are
        // gone or now live in this pod.
        let unwanted = present.flatMap { portID, ids in ids.filter { kept[portID] != $0 }.map { (portID, $0) } }
        try await Fanout.each(unwanted) { portID, id in
            try await pods.delete("ports", id: id, in: pod)
            if kept[portID] == nil, let row = try await shadowRow(portID, in: pod), row.bottomID == id || row.bottomID == nil {
                _ = try await routing.routings.delete(row.id)
                routing.invalidate(topID: portID, type: .shadowPort)
            }
            logger.info("removed a shadow port that is not wanted",
                        metadata: ["region": "\(pod.regionName)", "port": "\(portID)", "bottom_id": "\(id)"])
        }
    }

    /// A shadow already in the pod follows its port: new addresses or MAC at the top, and the real port's
    /// host once Nova has bound it (after the boot that made the shadow). A pod that refuses the change
    /// (the address taken there) gets a new shadow instead.
    /// Returns the shadow's id afterwards.
    private func refreshShadow(_ item: JSONValue, to body: JSONValue, portID: String, in pod: Pod, context: PodCallContext) async throws -> String {
        let bottomID = item["id"]?.stringValue ?? ""
        guard let wanted = body["port"] else { return bottomID }
        let addresses = { (value: JSONValue?) in Set(value?.arrayValue?.compactMap { $0["ip_address"]?.stringValue } ?? []) }
        var change: [String: JSONValue] = [:]
        if addresses(item["fixed_ips"]) != addresses(wanted["fixed_ips"]) { change["fixed_ips"] = wanted["fixed_ips"] }
        if item["mac_address"] != wanted["mac_address"] { change["mac_address"] = wanted["mac_address"] }
        if wanted["binding:profile"]?["host"] != nil, item["binding:profile"]?["host"] != wanted["binding:profile"]?["host"] {
            change["binding:profile"] = wanted["binding:profile"]
        }
        guard !change.isEmpty else { return bottomID }
        do {
            try await pods.call("PUT", "/ports/\(bottomID)", body: ["port": .object(change)], in: pod, requestID: context.requestID)
            return bottomID
        } catch let error as PodNeutronError where error.status == 409 || error.status == 400 {
            try await pods.delete("ports", id: bottomID, in: pod)
            try await forgetShadowRow(portID, in: pod)
            return try await ensureShadow(portID, body: body, existing: [], in: pod, context: context).0
        }
    }

    /// The pod's shadow of a port, created once under the routing table's create-lock (adopting one a pod
    /// already holds for it).
    /// Also says whether this call created it with `body` (false: adopted, or an existing row answered).
    private func ensureShadow(_ portID: String, body: JSONValue, existing: [String], in pod: Pod,
                              context: PodCallContext) async throws -> (String, Bool) {
        let project = body["port"]?["project_id"]?.stringValue ?? ""
        let fresh = Mutex(false)
        let id = try await routing.ensure(
            topID: portID, type: .shadowPort, podID: pod.podID, projectID: project,
            findExisting: { try await pods.find("ports", name: ShadowPort.name(of: portID), in: pod) },
            create: {
                if let adopted = existing.first { return adopted }
                fresh.withLock { $0 = true }
                let answer = try await pods.call("POST", "/ports", body: body, in: pod, requestID: context.requestID)
                guard let id = answer["port"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "shadow port create answered no id")
                }
                return id
            })
        return (id, fresh.withLock { $0 })
    }

    /// The pod-side body of a shadow: the top port's MAC and addresses, no security groups, never bound here.
    func shadowBody(_ port: NeutronPort, bottomNetwork: String, subnets: [String: String], profile: [String: JSONValue]) -> JSONValue {
        [
            "port": [
                "name": .string(ShadowPort.name(of: port.id)), "network_id": .string(bottomNetwork), "project_id": .string(port.projectID),
                "mac_address": .string(port.macAddress), "admin_state_up": true, "device_owner": .string(ShadowPort.deviceOwner),
                "fixed_ips": .array(port.fixedIPs.compactMap { fixed in
                    guard let top = fixed.subnetID, let bottom = subnets[top], let address = fixed.ipAddress else { return nil }
                    return ["subnet_id": .string(bottom), "ip_address": .string(address)]
                }),
                "security_groups": [],
                "binding:profile": .object(profile),
            ],
        ]
    }

    private func shadowRow(_ portID: String, in pod: Pod) async throws -> ResourceRouting? {
        try await routing.routings.lookup(topID: portID, resourceType: .shadowPort, projectID: nil).first { $0.podID == pod.podID }
    }

    private func forgetShadowRow(_ portID: String, in pod: Pod) async throws {
        if let row = try await shadowRow(portID, in: pod) { _ = try await routing.routings.delete(row.id) }
        routing.invalidate(topID: portID, type: .shadowPort)
    }

    /// Deletes every shadow of a top port (its real copies are going or gone), pods in parallel. A shadow
    /// whose create-lock never completed is looked up by name, so a creator that died leaves nothing.
    func removeShadows(ofPort portID: String) async throws {
        let rows = try await routing.routings.lookup(topID: portID, resourceType: .shadowPort, projectID: nil)
        guard !rows.isEmpty else { return }
        try await Fanout.each(rows) { row in
            if let pod = try await podDirectory.pod(id: row.podID) {
                if let bottomID = row.bottomID {
                    try await pods.delete("ports", id: bottomID, in: pod)
                } else if let found = try await pods.find("ports", name: ShadowPort.name(of: portID), in: pod) {
                    try await pods.delete("ports", id: found, in: pod)
                }
            }
            _ = try await routing.routings.delete(row.id)
        }
        routing.invalidate(topID: portID, type: .shadowPort)
    }

    /// Deletes every shadow on one pod's copy of a network (before the copy itself: Neutron keeps a network
    /// with ports on it), and their routing rows.
    func removeShadows(onNetwork bottomNetwork: String, in pod: Pod) async throws {
        let answer = try await pods.call("GET", "/ports?network_id=\(bottomNetwork)&device_owner=\(ShadowPort.deviceOwner)&fields=id&fields=name", in: pod)
        let shadows = answer["ports"]?.arrayValue ?? []
        try await Fanout.each(shadows.compactMap { item in item["id"]?.stringValue.map { ($0, item["name"]?.stringValue ?? "") } }) { id, name in
            try await removeShadow(id, name: name, in: pod)
        }
    }

    /// Deletes one shadow found in a pod (its pod id and name) and its routing row.
    func removeShadow(_ id: String, name: String, in pod: Pod) async throws {
        try await pods.delete("ports", id: id, in: pod)
        guard let portID = ShadowPort.topPortID(fromName: name) else { return }
        if let row = try await shadowRow(portID, in: pod) { _ = try await routing.routings.delete(row.id) }
        routing.invalidate(topID: portID, type: .shadowPort)
    }
}
