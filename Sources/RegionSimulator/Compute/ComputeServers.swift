import Foundation
import Hummingbird
import OpenStackModels

extension ComputeAPI {
    // MARK: Rendering

    func serverLinks(_ id: String, base: String) -> JSONValue {
        [
            ["rel": "self", "href": .string("\(base)/v2.1/servers/\(id)")],
            ["rel": "bookmark", "href": .string("\(base)/servers/\(id)")],
        ]
    }

    /// The detailed server body for the call's microversion and role.
    /// `withGroups`: show, update and rebuild answers carry `server_groups` from 2.71, lists do not.
    func render(_ s: ServerRecord, call: ComputeCall, flavors: [String: FlavorRecord], withGroups: Bool = false) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(s.id), "name": .string(s.name), "status": .string(s.status),
            "tenant_id": .string(s.projectID), "user_id": .string(s.userID),
            "metadata": .object(s.metadata.mapValues { .string($0) }),
            "hostId": .string(hostID(s)), "created": .string(SimTime.iso(s.created)),
            "updated": .string(SimTime.iso(s.updated)), "addresses": addressesJSON(s),
            "accessIPv4": .string(s.accessIPv4), "accessIPv6": .string(s.accessIPv6),
            "links": serverLinks(s.id, base: call.base), "OS-DCF:diskConfig": .string(s.diskConfig),
            "OS-EXT-AZ:availability_zone": .string(s.vmState == "building" ? "" : s.availabilityZone),
            "config_drive": .string(s.configDrive), "key_name": .string(s.keyName),
            "OS-SRV-USG:launched_at": .string(s.launchedAt.map(SimTime.cinder)),
            "OS-SRV-USG:terminated_at": nil,
            "security_groups": .array(s.securityGroups.map { ["name": .string($0)] }),
            "OS-EXT-STS:task_state": .string(s.taskState), "OS-EXT-STS:vm_state": .string(s.vmState),
            "OS-EXT-STS:power_state": .int(s.powerState),
            "os-extended-volumes:volumes_attached": .array(
                s.volumeAttachments.map { a in
                    call.atLeast(2, 3)
                        ? ["id": .string(a.volumeID), "delete_on_termination": .bool(a.deleteOnTermination)]
                        : ["id": .string(a.volumeID)]
                }),
        ]
        if s.status == "BUILD" || s.status == "ACTIVE" { o["progress"] = 0 }
        if s.imageRef.isEmpty {
            o["image"] = ""
        } else {
            var image: [String: JSONValue] = [
                "id": .string(s.imageRef),
                "links": [["rel": "bookmark", "href": .string("\(call.base)/images/\(s.imageRef)")]],
            ]
            // 2.98: the image's standard properties as Nova kept them at boot; the simulated images set none.
            if call.atLeast(2, 98) { image["properties"] = [:] }
            o["image"] = .object(image)
        }
        let flavor = flavors[s.flavorID]
        if call.atLeast(2, 47) {
            var embedded: [String: JSONValue] = [
                "vcpus": .int(flavor?.flavor.vcpus ?? 0), "ram": .int(flavor?.flavor.ram ?? 0),
                "disk": .int(flavor?.flavor.disk ?? 0), "ephemeral": .int(flavor?.flavor.ephemeral ?? 0),
                "swap": .int(flavor?.flavor.swap?.intValue ?? 0), "original_name": .string(flavor?.flavor.name ?? s.flavorID),
            ]
            embedded["extra_specs"] = .object((flavor?.extraSpecs ?? [:]).mapValues { .string($0) })
            o["flavor"] = .object(embedded)
        } else {
            o["flavor"] = [
                "id": .string(s.flavorID),
                "links": [["rel": "bookmark", "href": .string("\(call.base)/flavors/\(s.flavorID)")]],
            ]
        }
        if call.isAdmin {
            o["OS-EXT-SRV-ATTR:host"] = .string(s.vmState == "building" ? nil : s.host)
            o["OS-EXT-SRV-ATTR:instance_name"] = .string("instance-" + String(s.id.prefix(8)))
            o["OS-EXT-SRV-ATTR:hypervisor_hostname"] = .string(s.vmState == "building" ? nil : s.host)
        }
        if call.atLeast(2, 3), call.isAdmin {
            o["OS-EXT-SRV-ATTR:reservation_id"] = .string(s.reservationID)
            o["OS-EXT-SRV-ATTR:launch_index"] = .int(s.launchIndex)
            o["OS-EXT-SRV-ATTR:hostname"] = .string(s.hostname)
            o["OS-EXT-SRV-ATTR:kernel_id"] = ""
            o["OS-EXT-SRV-ATTR:ramdisk_id"] = ""
            o["OS-EXT-SRV-ATTR:root_device_name"] = "/dev/vda"
            o["OS-EXT-SRV-ATTR:user_data"] = .string(s.userData)
        } else if call.atLeast(2, 90) {
            o["OS-EXT-SRV-ATTR:hostname"] = .string(s.hostname)
        }
        if call.atLeast(2, 9) { o["locked"] = .bool(s.locked) }
        if call.atLeast(2, 73) { o["locked_reason"] = .string(s.lockedReason) }
        if call.atLeast(2, 19) { o["description"] = .string(s.description) }
        if call.atLeast(2, 26) { o["tags"] = .array(s.tags.map { .string($0) }) }
        if call.atLeast(2, 16), call.isAdmin { o["host_status"] = s.vmState == "building" ? "" : "UP" }
        // `o[key] = nil` would drop the key: Nova sends an explicit null.
        if call.atLeast(2, 63) { o["trusted_image_certificates"] = .null }
        if withGroups, call.atLeast(2, 71) { o["server_groups"] = .array(s.serverGroupID.map { [.string($0)] } ?? []) }
        if call.atLeast(2, 96) { o["pinned_availability_zone"] = .string(s.request["availability_zone"]?.stringValue) }
        // 2.100: the scheduler hints of the boot, each a list as Nova's RequestSpec keeps them (the simulator
        // keeps only the group).
        if call.atLeast(2, 100) { o["scheduler_hints"] = .object(s.serverGroupID.map { ["group": [.string($0)]] } ?? [:]) }
        if s.vmState == "error" {
            o["fault"] = [
                "code": 500, "created": .string(SimTime.iso(s.updated)),
                "message": .string(s.faultMessage ?? "Simulated failure"),
            ]
        }
        return .object(o)
    }

    /// Nova's fault when the scheduler finds no host.
    static let noValidHost = "No valid host was found. There are not enough hosts available."

    func hostID(_ s: ServerRecord) -> String {
        guard s.vmState != "building" else { return "" }
        // Nova: sha224(project_id + host); any stable per (project, host) hex string will do here.
        return String(SeedID.uuid(s.projectID + s.host).replacingOccurrences(of: "-", with: "").prefix(28))
            + String(SeedID.uuid(s.host + s.projectID).replacingOccurrences(of: "-", with: "").prefix(28))
    }

    /// `addresses`: keyed by network name, one entry per fixed IP, in port order.
    func addressesJSON(_ s: ServerRecord) -> JSONValue {
        var networks: [String: [JSONValue]] = [:]
        for port in s.ports {
            for ip in port.ips {
                networks[port.network, default: []].append([
                    "addr": .string(ip), "version": ip.contains(":") ? 6 : 4, "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": .string(port.mac),
                ])
            }
        }
        return .object(networks.mapValues { .array($0) })
    }

    // MARK: Lookup

    /// The server, settled; 404 when missing or another project's (unless admin).
    func findServer(_ id: String, call: ComputeCall, in state: ComputeState) throws -> ServerRecord {
        guard let s = state.servers[id], s.projectID == call.token.projectID || call.isAdmin, !s.isGone(at: call.now) else {
            throw SimulatorError.notFound("Instance \(id) could not be found.")
        }
        return s.settled(at: call.now)
    }

    // MARK: Create

    func createServer(_ call: ComputeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let req = try SimHTTP.member(body, "server", format: .fault)
        guard let name = req["name"]?.stringValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute server. Value: \(JSONValue.object(req)). 'name' is a required property")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 255 else {
            throw SimulatorError.badRequest("Invalid input for field/attribute name. Value: \(name). '\(name)' does not match any of the regexes: '^(?![\\ ]).*(?<![\\ ])$'")
        }
        guard let flavorRef = req["flavorRef"].flatMap({ $0.stringValue ?? $0.intValue.map(String.init) }) else {
            throw SimulatorError.badRequest("Invalid input for field/attribute server. Value: \(JSONValue.object(req)). 'flavorRef' is a required property")
        }
        let flavorID = flavorRef.split(separator: "/").last.map(String.init) ?? flavorRef
        let bdms = req["block_device_mapping_v2"]?.arrayValue ?? []
        let bootsFromVolume = bdms.contains { $0["boot_index"]?.intValue == 0 || $0["boot_index"]?.stringValue == "0" }
        let imageRef = (req["imageRef"]?.stringValue ?? "").split(separator: "/").last.map(String.init) ?? ""
        if imageRef.isEmpty && !bootsFromVolume {
            throw SimulatorError.badRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.")
        }
        if !imageRef.isEmpty {
            let imageVisible = store.images.withLock { state -> Bool in
                guard let image = state.images[imageRef] else { return false }
                // As Nova asking its Glance with the caller's token: a shared image only for its members.
                return image.visibility == "public" || image.visibility == "community" || image.owner == call.token.projectID
                    || call.isAdmin
                    || (image.visibility == "shared" && state.members[imageRef]?.contains { $0.memberID == call.token.projectID } == true)
            }
            guard imageVisible else { throw SimulatorError.badRequest("Image \(imageRef) could not be found.") }
        }
        if let zone = req["availability_zone"]?.stringValue, !zone.isEmpty {
            let zoneName = zone.split(separator: ":").first.map(String.init) ?? zone
            guard zoneName == region.availabilityZone else {
                throw SimulatorError.badRequest("The requested availability zone is not available")
            }
        }
        if call.atLeast(2, 37), req["networks"] == nil {
            throw SimulatorError.badRequest("Invalid input for field/attribute server. Value: \(JSONValue.object(req)). 'networks' is a required property")
        }
        let minCount = max(1, req["min_count"]?.intValue ?? 1)
        let maxCount = max(minCount, req["max_count"]?.intValue ?? minCount)
        let bootNetworks = try parseBootNetworks(req["networks"], call: call, maxCount: maxCount)
        let groupID = try requestedGroup(body, call: call)
        let keyName = req["key_name"]?.stringValue
        let securityGroups = req["security_groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? ["default"]
        let reservationID = "r-" + String(newUUID().prefix(8))
        let transition = self.transition
        let host = "\(region.regionName.lowercased())-compute-1"

        // Nova checks networks and ports before it accepts the boot; nothing is changed yet.
        let plan = try planNICs(bootNetworks, call: call)
        let ids = (0..<maxCount).map { _ in newUUID() }

        var created: [ServerRecord] = try store.compute.withLock { state in
            state.purgeDeleted(now: call.now)
            guard let flavor = state.flavors[flavorID] else {
                throw SimulatorError.badRequest("Flavor \(flavorRef) could not be found.")
            }
            guard flavor.flavor.isPublic != false || flavor.access.contains(call.token.projectID) || call.isAdmin else {
                throw SimulatorError.badRequest("Flavor \(flavorRef) could not be found.")
            }
            if let keyName, state.keypairs[call.token.userID]?[keyName] == nil {
                throw SimulatorError.badRequest("Invalid key_name provided.")
            }
            // Quota check as Nova does it: instances, cores, ram.
            let usage = state.usage(project: call.token.projectID, now: call.now)
            let checks: [(String, Int, Int)] = [
                ("instances", usage.instances, 1), ("cores", usage.cores, flavor.flavor.vcpus),
                ("ram", usage.ram, flavor.flavor.ram),
            ]
            for (resource, used, each) in checks {
                let limit = state.quota(resource, project: call.token.projectID)
                if limit >= 0, used + each * minCount > limit {
                    throw SimulatorError(
                        status: 403,
                        message: "Quota exceeded for \(resource): Requested \(each * minCount), but already used \(used) of \(limit) \(resource)",
                        name: "forbidden")
                }
            }
            // The region has one compute host: a hard anti-affinity group holds max_server_per_host (1 by
            // default) members there; the scheduler finds no host for the rest, which end in ERROR.
            var roomOnHost = Int.max
            if let groupID, let group = state.serverGroups[groupID], group.policy == "anti-affinity" {
                let onHost = group.members.filter { member in
                    state.servers[member].map { !$0.isGone(at: call.now) && $0.vmState != "error" } ?? false
                }.count
                roomOnHost = max(0, (group.rules["max_server_per_host"] ?? 1) - onHost)
            }
            if let groupID { try state.join(group: groupID, servers: ids, project: call.token.projectID) }
            var result: [ServerRecord] = []
            for index in 0..<maxCount {
                let id = ids[index]
                let serverName = maxCount > 1 ? "\(name)-\(index + 1)" : name
                var record = ServerRecord(
                    id: id, name: serverName, projectID: call.token.projectID, userID: call.token.userID,
                    created: call.now, updated: call.now, launchedAt: nil, imageRef: imageRef, flavorID: flavorID,
                    vmState: "building", taskState: "spawning", powerState: 0,
                    pending: Pending(
                        due: call.now.addingTimeInterval(transition),
                        target: index < roomOnHost
                            ? ServerTarget(vmState: "active", powerState: 1, launches: true)
                            : ServerTarget(vmState: "error", powerState: 0, fault: Self.noValidHost)),
                    metadata: req["metadata"]?.objectValue?.compactMapValues { $0.stringValue } ?? [:],
                    tags: req["tags"]?.arrayValue?.compactMap { $0.stringValue } ?? [],
                    keyName: keyName, userData: req["user_data"]?.stringValue,
                    description: req["description"]?.stringValue,
                    hostname: req["hostname"]?.stringValue ?? serverName.lowercased().replacingOccurrences(of: " ", with: "-"),
                    accessIPv4: req["accessIPv4"]?.stringValue ?? "", accessIPv6: req["accessIPv6"]?.stringValue ?? "",
                    ports: [], securityGroups: securityGroups,
                    configDrive: (req["config_drive"]?.boolValue ?? false) ? "True" : "",
                    diskConfig: req["OS-DCF:diskConfig"]?.stringValue ?? "MANUAL", reservationID: reservationID,
                    launchIndex: index, host: host, availabilityZone: region.availabilityZone,
                    adminPass: String(newUUID().replacingOccurrences(of: "-", with: "").prefix(12)), request: req)
                record.serverGroupID = groupID
                state.servers[id] = record
                state.order.append(id)
                result.append(record)
            }
            return result
        }
        // Ports are made once the servers exist (Nova allocates them while the server builds); a refusal
        // from Neutron undoes the whole boot.
        if !plan.isEmpty {
            var plugged: [String: [ServerPortRecord]] = [:]
            do {
                for server in created {
                    plugged[server.id] = try plugPorts(
                        plan, serverID: server.id, host: host, securityGroups: securityGroups, call: call)
                }
            } catch {
                for (serverID, ports) in plugged { unplugPorts(ports, serverID: serverID, call: call) }
                store.compute.withLock { state in
                    for server in created {
                        state.leaveGroup(server)
                        state.servers[server.id] = nil
                    }
                    let dropped = Set(created.map(\.id))
                    state.order.removeAll { dropped.contains($0) }
                }
                throw error
            }
            store.compute.withLock { state in
                for (serverID, ports) in plugged { state.servers[serverID]?.ports = ports }
            }
            for index in created.indices { created[index].ports = plugged[created[index].id] ?? [] }
        }
        // Boot-from-volume: the boot volume becomes in-use like Nova's attach.
        if let first = created.first {
            for bdm in bdms where bdm["source_type"]?.stringValue == "volume" {
                if let volumeID = bdm["uuid"]?.stringValue {
                    _ = try? attachInStores(serverID: first.id, volumeID: volumeID, device: bdm["device_name"]?.stringValue, call: call,
                        deleteOnTermination: bdm["delete_on_termination"]?.boolValue ?? false)
                }
            }
            createBootVolumes(bdms, serverID: first.id, call: call)
        }
        if req["return_reservation_id"]?.boolValue == true {
            return SimHTTP.json(["reservation_id": .string(reservationID)], status: 202)
        }
        guard let server = created.first else { throw SimulatorError(status: 500, message: "no server created") }
        var answer: [String: JSONValue] = [
            "id": .string(server.id), "links": serverLinks(server.id, base: call.base),
            "OS-DCF:diskConfig": .string(server.diskConfig),
            "security_groups": .array(server.securityGroups.map { ["name": .string($0)] }),
        ]
        if req["adminPass"] == nil { answer["adminPass"] = .string(server.adminPass) } else { answer["adminPass"] = req["adminPass"] }
        return SimHTTP.json(
            ["server": .object(answer)], status: 202,
            headers: [("Location", "\(call.base)/v2.1/servers/\(server.id)")])
    }

    // MARK: Show, update, delete

    func showServer(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let linger = transition
        let (server, flavors) = try store.compute.withLock { state in
            // Real Nova shows a server whose delete has just finished, until its row is gone, with status
            // DELETED (what `openstack server delete --wait` stops at): here for one more transition period.
            if let s = state.servers[id], let due = state.deleting[id], due <= call.now, call.now < due.addingTimeInterval(linger),
               s.projectID == call.token.projectID || call.isAdmin {
                return (s.settled(at: call.now), state.flavors)
            }
            return (try findServer(id, call: call, in: state), state.flavors)
        }
        return SimHTTP.json(["server": render(server, call: call, flavors: flavors, withGroups: true)])
    }

    func updateServer(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let update = try SimHTTP.member(body, "server", format: .fault)
        let allowed: Set<String> = ["name", "description", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig", "hostname"]
        if let extra = update.keys.first(where: { !allowed.contains($0) }) {
            throw SimulatorError.badRequest("Invalid input for field/attribute server. Value: \(JSONValue.object(update)). Additional properties are not allowed ('\(extra)' was unexpected)")
        }
        if update["description"] != nil, !call.atLeast(2, 19) {
            throw SimulatorError.badRequest("Invalid input for field/attribute server. Value: \(JSONValue.object(update)). Additional properties are not allowed ('description' was unexpected)")
        }
        let (server, flavors) = try store.compute.withLock { state in
            var s = try findServer(id, call: call, in: state)
            if let name = update["name"]?.stringValue { s.name = name }
            if let description = update["description"] { s.description = description.stringValue }
            if let v4 = update["accessIPv4"]?.stringValue { s.accessIPv4 = v4 }
            if let v6 = update["accessIPv6"]?.stringValue { s.accessIPv6 = v6 }
            if let hostname = update["hostname"]?.stringValue { s.hostname = hostname }
            s.updated = call.now
            state.servers[id] = s
            return (s, state.flavors)
        }
        return SimHTTP.json(["server": render(server, call: call, flavors: flavors, withGroups: true)])
    }

    /// `DELETE /servers/{id}`: the server shows task_state "deleting" until the transition ends, then is
    /// gone; its ports and volumes are released at once, as Nova does while it deletes.
    func deleteServer(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let transition = self.transition
        let (server, first) = try store.compute.withLock { state -> (ServerRecord, Bool) in
            state.purgeDeleted(now: call.now)
            var s = try findServer(id, call: call, in: state)
            if s.locked, !call.isAdmin {
                throw SimulatorError.conflict("Instance \(id) is locked")
            }
            // A second delete while the first runs is accepted and changes nothing.
            if s.taskState == "deleting" { return (s, false) }
            let due = call.now.addingTimeInterval(transition)
            s.taskState = "deleting"
            s.pending = Pending(due: due, target: ServerTarget(vmState: "deleted", powerState: 0, deletes: true))
            s.updated = call.now
            state.servers[id] = s
            state.deleting[id] = due
            return (s, true)
        }
        guard first else { return SimHTTP.empty(status: 204) }
        unplugPorts(server.ports, serverID: id, call: call)
        // Attached volumes go back to available; delete_on_termination ones are deleted.
        store.volumes.withLock { state in
            for attachment in server.volumeAttachments {
                if attachment.deleteOnTermination {
                    state.volumes[attachment.volumeID] = nil
                    state.order.removeAll { $0 == attachment.volumeID }
                } else if var volume = state.volumes[attachment.volumeID] {
                    volume.attachments.removeAll { $0.serverID == id }
                    if volume.attachments.isEmpty { volume.status = "available" }
                    volume.updated = call.now
                    state.volumes[attachment.volumeID] = volume
                }
            }
        }
        return SimHTTP.empty(status: 204)
    }
}
