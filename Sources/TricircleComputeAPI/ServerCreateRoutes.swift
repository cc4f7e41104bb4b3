import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// `POST /servers`: the pod is chosen by `availability_zone` (none: the configured default AZ, else the
/// bottom pod whose AZ sorts first); the client's body is kept as sent and only ids that differ in the
/// pod are replaced (AZ, image, flavor, networks, security groups, block device volumes). Every server
/// the pod made is recorded in the routing table; if that fails they are deleted again, so nothing is
/// left in a pod that the gateway cannot see.
struct ServerCreateRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("servers", use: create)
    }

    /// The boot holds a quota reservation from the check to the pod's answer (`ServerQuota`): committed
    /// with the servers recorded, released when none was made.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = QuotaClaim(quota: calls.quota, scope: .compute)
        return try await claim.settling { try await create(request, context: context, claim: claim) }
    }

    func create(_ request: Request, context: GatewayRequestContext, claim: QuotaClaim) async throws -> Response {
        let caller = try context.requireCaller()
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        var body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        guard let member = body["server"]?.objectValue else {
            throw Nova.badRequest(
                "Invalid input for field/attribute server. Value: \(JSONValue.object(body)). 'server' is a required property")
        }

        var server = ServerCreate(object: member)
        try await ServerQuota(calls: calls).reserve(&server, projectID: caller.projectID, requestID: context.requestID, claim: claim)

        // The pod: "az", "az:host" and "az:host:node" name the AZ first, as Nova reads them.
        let requestedAZ = server.availabilityZone
        let azParts = requestedAZ.map { $0.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init) } ?? []
        // A member of an affinity group goes where the group's members are (asking another AZ is refused).
        let placement = try await ServerGroupPlacement.of(body, caller: caller, calls: calls)
        let pod: Pod
        do {
            if let together = placement?.affinityPod, (azParts.first ?? "").isEmpty {
                pod = together
            } else {
                pod = try await calls.pods.podForCreate(availabilityZone: azParts.first)
            }
            try placement?.check(pod)
        } catch PodSelectionError.unknownAvailabilityZone {
            throw Nova.badRequest("The requested availability zone is not available")
        } catch PodSelectionError.noBottomPods {
            throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .fault)
        }
        if let first = azParts.first, !first.isEmpty {
            server.availabilityZone = ([pod.bottomAZ] + azParts.dropFirst()).joined(separator: ":")
        }

        let podContext = PodCallContext(caller: caller, requestID: context.requestID)
        let provisioners = calls.provisioners
        // Everything the boot names must be the caller's to use before anything is sent to a pod (the pod
        // would judge the gateway's copies, not the caller's rights): first what the top's records decide,
        // then the images, which are checked with the caller's token before any copy is made.
        let references = BootReferences(calls: calls)
        try await references.authorize(server, caller: caller)
        // The pod's group for the top's (made once, kept for later members), before anything else is made there.
        if let placement { body = try await placement.bind(body, to: pod, credentials: credentials) }
        let images = try await references.images(server, in: pod, context: podContext)
        // Flavor and key pair are independent of each other: prepared at once.
        let imageRef = server.imageReference
        let flavorRef = server.flavorReference
        let keyName = server.keyName
        let imageID = imageRef.map { images[ServerActionRoutes.lastComponent($0)] ?? $0 }
        async let flavor: String? = Self.translate(flavorRef) { id in
            guard let mapping = provisioners.flavor else { return id }
            return try await mapping.bottomFlavor(ServerActionRoutes.lastComponent(id), in: pod, context: podContext)
        }
        async let keypair: Void = {
            if let name = keyName, let provisioner = provisioners.keypair {
                try await provisioner.ensureKeypair(name, in: pod, context: podContext)
            }
        }()
        let (flavorID, _) = try await (flavor, keypair)
        if let imageID, !(server.imageRef ?? "").isEmpty { server.imageRef = imageID }
        if let flavorID { server.flavorRef = flavorID }
        if let bdms = server.blockDeviceMappingV2 {
            server.blockDeviceMappingV2 = try await translate(bdms, pod: pod, caller: caller, images: images)
        }

        let minCount = server.minCount ?? 1
        let maxCount = server.maxCount ?? minCount
        var prepared: PreparedNetworks?
        if let network = provisioners.network {
            var result = try await network.prepare(
                networks: server.networks, securityGroups: server.securityGroupNames ?? [], in: pod, context: podContext)
            if max(minCount, maxCount) > 1 {
                result = try await perInstanceNetworks(
                    requested: server.networks, prepared: result, pod: pod, credentials: credentials, context: podContext)
            }
            prepared = result
            server.networks = result.networks
            if server.securityGroupNames != nil || !result.securityGroups.isEmpty {
                server.securityGroupNames = result.securityGroups
            }
        }

        // With several servers Nova's answer names only the first; the reservation finds them all.
        let clientWantsReservation = server.returnReservationID
        let multiple = max(minCount, maxCount) > 1 || clientWantsReservation
        if multiple { server.returnReservationID = true }
        // Nova answers a multiple create with the first server and its admin password; asking the pod for the
        // reservation drops the password from its answer, so the top chooses it (all servers share it, as in Nova).
        var adminPass: String?
        if multiple, !clientWantsReservation {
            adminPass = server.adminPass ?? Self.newAdminPass()
            server.adminPass = adminPass
        }
        body["server"] = .object(server.object)

        let response: RegionalResponse
        let sentAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-5))
        // Queued before the pod is asked and held back until the create must have ended: if this process
        // dies (or the pod does not answer) between the pod making the server and the top recording it, the
        // job adopts the server, or releases the boot's ports when none appears. Deleted once the create is
        // settled here. (A multiple create is found by its reservation, which only its answer tells.)
        let settle: TricircleJobs.Job? = multiple ? nil : await adoptionIntent(
            .init(podID: pod.podID, projectID: caller.projectID, name: server.name ?? "", sentAt: sentAt,
                  bottomPorts: prepared?.createdPorts ?? [], topPorts: prepared?.topPorts ?? []),
            projectID: caller.projectID)
        do {
            response = try await calls.call(
                "POST", "/servers", pod: pod, version: version, credentials: credentials,
                body: ByteBuffer(data: JSONValue.object(body).encoded()))
        } catch {
            // A transport failure leaves it open whether the pod made the server: its ports stay, as
            // releasing them could break a server that exists, and the queued job settles it.
            calls.logger.error("server create: pod did not answer", metadata: ["pod": "\(pod.regionName)", "error": "\(error)"])
            claim.leaveToExpire()
            throw error
        }
        guard response.isSuccess else {
            if let prepared, let network = provisioners.network { await network.release(prepared, in: pod, context: podContext) }
            await settled(settle)
            return ComputePodCalls.relay(response, request: request)
        }

        let answer = (try? JSONValue(data: response.data)) ?? .null
        let ids: [String]
        var reservation: String?
        if multiple {
            reservation = answer["reservation_id"]?.stringValue
            ids = try await reservationServers(reservation, pod: pod, version: version, credentials: credentials)
        } else {
            ids = answer["server"]?["id"]?.stringValue.map { [$0] } ?? []
        }
        guard !ids.isEmpty else {
            calls.logger.error("server create: the pod's answer names no server", metadata: ["pod": "\(pod.regionName)"])
            throw Nova.internalError("Region \(pod.regionName) accepted the server but its answer names none; it could not be recorded.")
        }
        try await record(ids, pod: pod, caller: caller, version: version, credentials: credentials, prepared: prepared, context: podContext)
        claim.made(objectType: "server", ids: ids, projectID: caller.projectID, podID: pod.podID)
        await placement?.joined(ids, pod: pod)
        await settled(settle)

        if !multiple { return ComputePodCalls.relay(response, request: request) }
        if clientWantsReservation {
            return ComputeJSON.response(["reservation_id": .string(reservation)], status: .accepted)
        }
        return try await firstServerAnswer(ids, adminPass: adminPass, pod: pod, version: version, credentials: credentials, request: request)
    }

    /// For a boot of several servers: the ports `prepare` made for the client's `{"uuid": network}` items
    /// become the pod's network ids, so the pod makes one port per server (Nova refuses to give one port
    /// to several servers). The network, its subnets and groups stay prepared in the pod; the single
    /// ports are released. Those per-server ports are the pod's own, not in the top's Neutron. Ports the
    /// client named stay as they are (Nova then refuses the boot, as it would without the gateway).
    func perInstanceNetworks(
        requested: JSONValue?, prepared: PreparedNetworks, pod: Pod, credentials: ServiceCredentials, context: PodCallContext
    ) async throws -> PreparedNetworks {
        guard let items = prepared.networks?.arrayValue, let network = calls.provisioners.network else { return prepared }
        // "auto" or no networks: every prepared item came from a network; an explicit list says which did.
        let requestedItems = requested?.arrayValue
        let fromNetwork: [Bool] = items.indices.map { index in
            guard let requestedItems else { return true }
            guard index < requestedItems.count else { return false }
            let item = requestedItems[index]
            return item["uuid"]?.stringValue != nil && (item["port"]?.stringValue ?? "").isEmpty
        }
        let portsToSwap: [(index: Int, port: String)] = items.indices.compactMap { index in
            guard fromNetwork[index], let port = items[index]["port"]?.stringValue else { return nil }
            return (index, port)
        }
        guard !portsToSwap.isEmpty else { return prepared }

        // The pod's network of each prepared port, asked of the pod's Neutron all at once.
        let neutron = calls.neutron
        let networks = try await Fanout.all(portsToSwap) { entry -> String? in
            let request = RegionalRequest(method: "GET", path: "/v2.0/ports/\(entry.port)")
            guard let response = try? await neutron.send(request, to: pod, credentials: credentials), response.isSuccess else { return nil }
            return (try? JSONValue(data: response.data))?["port"]?["network_id"]?.stringValue
        }
        var found: [Int: String] = [:]
        for ((index, _), networkID) in zip(portsToSwap, networks) { found[index] = networkID }
        guard found.count == portsToSwap.count else {
            await network.release(prepared, in: pod, context: context)
            throw APIError(.serviceUnavailable, "Region \(pod.regionName) did not say which network the boot's ports are on; try again.",
                           format: .fault, headers: [.retryAfter: "30"])
        }
        var rewritten = items
        for (index, _) in portsToSwap {
            var entry: [String: JSONValue] = ["uuid": .string(found[index] ?? "")]
            if let tag = items[index]["tag"] { entry["tag"] = tag }
            if let address = requestedItems?[index]["fixed_ip"] { entry["fixed_ip"] = address }
            rewritten[index] = .object(entry)
        }
        let swapped = Set(portsToSwap.map(\.port))
        await network.release(
            PreparedNetworks(networks: nil, securityGroups: [], createdPorts: prepared.createdPorts.filter { swapped.contains($0) }),
            in: pod, context: context)
        return PreparedNetworks(
            networks: .array(rewritten), securityGroups: prepared.securityGroups,
            createdPorts: prepared.createdPorts.filter { !swapped.contains($0) }, topPorts: [])
    }

    /// Applies `body` to a present id.
    static func translate(_ id: String?, _ body: (String) async throws -> String) async throws -> String? {
        guard let id, !id.isEmpty else { return id }
        return try await body(id)
    }

    /// Volumes and snapshots of a boot: translated to the pod's ids; one that lives in another pod is a
    /// 400 naming where it is. Image sources become the pod's ids `BootReferences.images` made present.
    func translate(_ bdms: [JSONValue], pod: Pod, caller: AuthenticatedCaller, images: [String: String]) async throws -> [JSONValue] {
        var out: [JSONValue] = []
        for bdm in bdms {
            guard var entry = bdm.objectValue, let uuid = entry["uuid"]?.stringValue else {
                out.append(bdm)
                continue
            }
            switch entry["source_type"]?.stringValue {
            case "volume", "snapshot":
                let type: ResourceType = entry["source_type"]?.stringValue == "volume" ? .volume : .snapshot
                if let row = try await calls.routing.resolveOne(topID: uuid, type: type, projectID: ComputePodCalls.scope(caller)) {
                    guard row.podID == pod.podID else {
                        let other = try await calls.pods.pod(id: row.podID)
                        let place = other.map { "availability zone \($0.azName) (region \($0.regionName))" } ?? "another region"
                        throw Nova.badRequest(
                            "Block device mapping is invalid: \(type == .volume ? "volume" : "snapshot") \(uuid) is in \(place), "
                                + "but the server is being created in availability zone \(pod.azName) (region \(pod.regionName)).")
                    }
                    entry["uuid"] = .string(row.bottomID ?? uuid)
                }
            case "image":
                if let bottomID = images[uuid] { entry["uuid"] = .string(bottomID) }
            default:
                break
            }
            out.append(.object(entry))
        }
        return out
    }

    /// The ids of every server of a reservation, oldest first.
    func reservationServers(_ reservation: String?, pod: Pod, version: Microversion, credentials: ServiceCredentials) async throws -> [String] {
        guard let reservation else { return [] }
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "reservation_id", value: reservation)]
        let response = try await calls.call(
            "GET", "/servers?" + (query.percentEncodedQuery ?? ""), pod: pod, version: version, credentials: credentials)
        guard response.isSuccess, let json = try? JSONValue(data: response.data) else {
            calls.logger.error("server create: could not list the reservation", metadata: ["reservation": "\(reservation)", "status": "\(response.status)"])
            throw Nova.internalError("Region \(pod.regionName) accepted reservation \(reservation) but did not list its servers; they could not be recorded.")
        }
        // Pods list newest first.
        return (json["servers"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.reversed()
    }

    /// Records every server; when that fails, deletes them in the pod (and releases their networks) so
    /// no server exists that the gateway cannot route to.
    func record(
        _ ids: [String], pod: Pod, caller: AuthenticatedCaller, version: Microversion, credentials: ServiceCredentials,
        prepared: PreparedNetworks?, context: PodCallContext
    ) async throws {
        do {
            for id in ids {
                try await calls.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: caller.projectID, type: .server)
            }
            // One server: its prepared top ports are its own now (a multiple create shares none).
            if ids.count == 1, let id = ids.first, let prepared, let network = calls.provisioners.network {
                await network.serverCreated(serverID: id, prepared: prepared, in: pod, context: context)
            }
        } catch {
            calls.logger.error("server create: recording failed; deleting the servers in the pod",
                               metadata: ["pod": "\(pod.regionName)", "servers": "\(ids)", "error": "\(error)"])
            try? await Fanout.each(ids) { id in
                _ = try? await calls.call("DELETE", "/servers/\(id)", pod: pod, version: version, credentials: credentials)
                await calls.goneServers.forget(id, in: pod, context: context)
            }
            if let prepared, let network = calls.provisioners.network { await network.release(prepared, in: pod, context: context) }
            // The state database out of reach (a failover): the error boundary's 503 with Retry-After, as for any
            // other call then; nothing is left behind, so the client's retry is safe.
            if StateStore.isUnavailable(error) { throw error }
            throw Nova.internalError("The server could not be recorded at the gateway and was removed from region \(pod.regionName); try again.")
        }
    }

    /// A password as Nova's `generate_password` makes them: 12 characters without look-alikes (0/O, 1/l).
    static func newAdminPass() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// Nova's create answer for the first server of a multiple create.
    func firstServerAnswer(
        _ ids: [String], adminPass: String?, pod: Pod, version: Microversion, credentials: ServiceCredentials, request: Request
    ) async throws -> Response {
        let first = ids[0]
        let root = ComputePodCalls.gatewayRoot(request)
        var server: [String: JSONValue] = [
            "id": .string(first),
            "links": [
                ["rel": "self", "href": .string("\(root)/v2.1/servers/\(first)")],
                ["rel": "bookmark", "href": .string("\(root)/servers/\(first)")],
            ],
        ]
        if let adminPass { server["adminPass"] = .string(adminPass) }
        let shown = try? await calls.call("GET", "/servers/\(first)", pod: pod, version: version, credentials: credentials)
        if let shown, shown.isSuccess, let detail = (try? JSONValue(data: shown.data))?["server"] {
            server["OS-DCF:diskConfig"] = detail["OS-DCF:diskConfig"]
            server["security_groups"] = detail["security_groups"]?.arrayValue.map { groups in
                .array(groups.map { ["name": $0["name"] ?? .null] })
            }
        }
        return ComputeJSON.response(
            ["server": .object(server)], status: .accepted,
            headers: [.location: "\(root)/v2.1/servers/\(first)"])
    }

    /// Queues the server's adoption job, due once the create can no longer be under way; nil (logged) when
    /// the queue cannot be written, which leaves the boot as it was before the job existed.
    func adoptionIntent(_ payload: ServerAdoptionJob.Payload, projectID: String) async -> TricircleJobs.Job? {
        let podTimeout = calls.podTimeout
        do {
            return try await calls.jobs.submit(
                ServerAdoptionJob.self, projectID: projectID, payload: payload, runAfter: podTimeout * 2 + .seconds(5))
        } catch {
            calls.logger.error("server create: could not queue the adoption job", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The create is settled (recorded, or refused by the pod): its adoption job is no longer needed.
    func settled(_ job: TricircleJobs.Job?) async {
        guard let job else { return }
        do { try await calls.jobs.delete(job.id) } catch {
            // Running already (a very slow create): it finds the server recorded, or no server, and ends.
            calls.logger.info("server create: adoption job left to finish", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}
