import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// Makes a pod ready for one boot: the boot's networks and ports become ports in the pod (copies of top
/// ports, made at the top first when the boot names a network), its security groups the pod's copies.
/// A boot that cannot have all its ports gets none of them.
struct BootPreparer: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let copies: PodCopies
    let groupSync: SecurityGroupSync
    /// Whether a port bound to a deleted server is free again.
    let serverPorts: ServerPortBinder
    /// Shadow ports and routers follow a port into a pod by job.
    let queue: NeutronSyncQueue
    let logger = Logger(label: "tricircle.network.boot")

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
        let topGroups = try await groupSync.resolveGroupNames(securityGroups, caller)
        // Groups and networks are independent: the groups are made ready while the ports are prepared.
        async let bottomGroups = Fanout.all(topGroups) { topGroup in
            try await groupSync.ensureSecurityGroup(topGroup, in: pod, context: context)
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
        let outcomes = await Fanout.outcomes(requests) { item in
            try await preparePort(item, groups: groupIDs, in: pod, context: context)
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
        _ = await Fanout.outcomes(prepared.createdPorts) { bottomID in
            do {
                try await pods.delete("ports", id: bottomID, in: pod)
                let rows = try await routing.routings.list(
                    filter: RoutingFilter(bottomID: bottomID, podID: pod.podID, resourceType: .port), limit: 1)
                guard let row = rows.first else { return }
                _ = try await routing.routings.delete(row.id)
                routing.invalidate(topID: row.topID, type: .port)
                // Ports the boot asked for by network were made for it; ports the client made stay.
                if let doc = try await service.documents.get(.ports, id: row.topID),
                   let port = try? service.model(NeutronPort.self, doc), ServerPortBinder.madeForBoot(port) {
                    try await service.documents.delete(.ports, id: port.id)
                }
            } catch {
                logger.error("could not release a port after a failed boot",
                             metadata: ["pod": "\(pod.regionName)", "port": "\(bottomID)", "error": "\(error)"])
            }
        }
    }

    // MARK: one requested network or port

    /// Returns the pod's `networks` item, the pod's port id and the top port's id.
    func preparePort(_ item: JSONValue, groups: [String], in pod: Pod, context: PodCallContext) async throws -> (JSONValue, String, String) {
        let caller = NeutronCaller(context.caller)
        var port: NeutronPort
        var madeForThisBoot = false
        if let portID = item["port"]?.stringValue, !portID.isEmpty {
            port = try await service.port(portID, caller).0
            if !port.deviceID.isEmpty, try await !serverPorts.releasedByDeletedServer(port) {
                throw NeutronError(status: 409, type: "PortInUse", message: "Port \(portID) is still in use.")
            }
            if try await routing.resolve(topID: portID, type: .port, podID: pod.podID, projectID: nil) == nil,
               let other = try await routing.resolve(topID: portID, type: .port, projectID: nil).first {
                throw NeutronError(status: 409, type: "PortInUse", message: "Port \(portID) is already in use in pod \(other.podID).")
            }
        } else if let networkID = item["uuid"]?.stringValue {
            let (network, _) = try await service.network(networkID, caller)
            try Self.checkZone(network, pod)
            try await copies.checkLocal(network, pod)
            var fixed: [FixedIP]?
            if let address = item["fixed_ip"]?.stringValue { fixed = [FixedIP(ipAddress: address)] }
            // The top's AZ in the top's record (the pod's Nova writes its own AZ on its copy when it binds it).
            port = try await service.createPort(
                PortCreate(networkID: networkID, fixedIPs: fixed, deviceOwner: "compute:\(pod.azName)",
                           securityGroups: groups.isEmpty ? nil : groups), caller, storedDevice: ServerPortBinder.pendingBootDevice)
            madeForThisBoot = true
        } else {
            throw NeutronError.httpBadRequest("Bad networks format: each item needs a uuid or a port")
        }
        let network: Network
        let bottomPort: String
        do {
            (network, _) = try await service.network(port.networkID, NeutronCaller(projectID: port.projectID, isAdmin: true))
            try Self.checkZone(network, pod)
            let bottomNetwork = try await copies.ensureNetwork(network, in: pod, context: context)
            let subnets = try await copies.ensureSubnets(of: network, bottomNetwork: bottomNetwork, in: pod, context: context)
            var bottomGroups: [String] = []
            for groupID in port.securityGroups {
                let (group, _) = try await service.securityGroup(groupID, NeutronCaller(projectID: port.projectID, isAdmin: true))
                bottomGroups.append(try await groupSync.ensureSecurityGroup(group, in: pod, context: context))
            }
            bottomPort = try await copies.ensurePort(port, bottomNetwork: bottomNetwork, subnets: subnets, groups: bottomGroups, in: pod, context: context)
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
        await queue.scheduleShadows(of: network)
        // Routers on this network need this pod's side (and, across pods, routes to this port): by job.
        try await queue.scheduleRouters(ofNetwork: network.id)
        var answer: [String: JSONValue] = ["port": .string(bottomPort)]
        if let tag = item["tag"] { answer["tag"] = tag }
        return (.object(answer), bottomPort, port.id)
    }

    /// `availability_zone_hints` limit where a network may stretch.
    static func checkZone(_ network: Network, _ pod: Pod) throws {
        guard network.availabilityZoneHints.isEmpty || network.availabilityZoneHints.contains(pod.azName) else {
            throw NeutronError.httpBadRequest(
                "Network \(network.id) is not available in availability zone \(pod.azName) (availability_zone_hints: \(network.availabilityZoneHints.joined(separator: ", "))).")
        }
    }
}
