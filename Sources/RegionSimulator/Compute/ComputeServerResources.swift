import Foundation
import Hummingbird
import OpenStackModels

extension ComputeAPI {
    /// Applies `change` to a server the caller may see, under the compute lock, and returns it.
    @discardableResult
    func mutateServer(
        _ call: ComputeCall, _ change: (inout ServerRecord) throws -> Void
    ) throws -> ServerRecord {
        let id = try call.param("id")
        return try store.compute.withLock { state in
            var s = try findServer(id, call: call, in: state)
            try change(&s)
            state.servers[id] = s
            return s
        }
    }

    func readServer(_ call: ComputeCall) throws -> ServerRecord {
        let id = try call.param("id")
        return try store.compute.withLock { state in try findServer(id, call: call, in: state) }
    }

    static func metadataJSON(_ metadata: [String: String]) -> JSONValue { .object(metadata.mapValues { .string($0) }) }

    static func stringMap(_ value: JSONValue?, key: String) throws -> [String: String] {
        guard let object = value?.objectValue else {
            throw SimulatorError.badRequest("Malformed request body")
        }
        var out: [String: String] = [:]
        for (k, v) in object {
            guard let s = v.stringValue, !k.isEmpty, k.count <= 255, s.count <= 255 else {
                throw SimulatorError.badRequest("Invalid input for field/attribute \(key). Value: \(value ?? .null).")
            }
            out[k] = s
        }
        return out
    }

    func checkMetadataQuota(_ count: Int) throws {
        if count > 128 {
            throw SimulatorError(status: 403, message: "Quota exceeded for metadata_items: Requested \(count), but already used 0 of 128 metadata_items", name: "forbidden")
        }
    }

    // MARK: Metadata

    func listMetadata(_ call: ComputeCall) async throws -> Response {
        SimHTTP.json(["metadata": Self.metadataJSON(try readServer(call).metadata)])
    }

    func replaceMetadata(_ call: ComputeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let metadata = try Self.stringMap(body["metadata"], key: "metadata")
        try checkMetadataQuota(metadata.count)
        let s = try mutateServer(call) { s in
            s.metadata = metadata
            s.updated = call.now
        }
        return SimHTTP.json(["metadata": Self.metadataJSON(s.metadata)])
    }

    func mergeMetadata(_ call: ComputeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let metadata = try Self.stringMap(body["metadata"], key: "metadata")
        let s = try mutateServer(call) { s in
            s.metadata.merge(metadata) { _, new in new }
            try checkMetadataQuota(s.metadata.count)
            s.updated = call.now
        }
        return SimHTTP.json(["metadata": Self.metadataJSON(s.metadata)])
    }

    func showMetadataItem(_ call: ComputeCall) async throws -> Response {
        let key = try call.param("key")
        guard let value = try readServer(call).metadata[key] else {
            throw SimulatorError.notFound("Metadata item was not found")
        }
        return SimHTTP.json(["meta": [key: .string(value)]])
    }

    func setMetadataItem(_ call: ComputeCall) async throws -> Response {
        let key = try call.param("key")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let meta = try Self.stringMap(body["meta"], key: "meta")
        guard meta.count == 1, let value = meta[key] else {
            throw SimulatorError.badRequest(meta.count == 1 ? "Request body and URI mismatch" : "Request body contains too many items")
        }
        try mutateServer(call) { s in
            s.metadata[key] = value
            try checkMetadataQuota(s.metadata.count)
            s.updated = call.now
        }
        return SimHTTP.json(["meta": [key: .string(value)]])
    }

    func deleteMetadataItem(_ call: ComputeCall) async throws -> Response {
        let key = try call.param("key")
        try mutateServer(call) { s in
            guard s.metadata.removeValue(forKey: key) != nil else {
                throw SimulatorError.notFound("Metadata item was not found")
            }
            s.updated = call.now
        }
        return SimHTTP.empty(status: 204)
    }

    // MARK: Tags (2.26+)

    func requireTags(_ call: ComputeCall) throws {
        guard call.atLeast(2, 26) else { throw SimulatorError.notFound("The resource could not be found.") }
    }

    static func validTag(_ tag: String) -> Bool {
        !tag.isEmpty && tag.count <= 60 && !tag.contains(",") && !tag.contains("/")
    }

    func listTags(_ call: ComputeCall) async throws -> Response {
        try requireTags(call)
        return SimHTTP.json(["tags": .array(try readServer(call).tags.map { .string($0) })])
    }

    func replaceTags(_ call: ComputeCall) async throws -> Response {
        try requireTags(call)
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard let tags = body["tags"]?.arrayValue?.compactMap({ $0.stringValue }), tags.allSatisfy(Self.validTag) else {
            throw SimulatorError.badRequest("Invalid input for field/attribute tags. Value: \(body["tags"] ?? .null).")
        }
        guard tags.count <= 50 else {
            throw SimulatorError.badRequest("The number of tags exceeded the per-server limit 50")
        }
        var unique: [String] = []
        for tag in tags where !unique.contains(tag) { unique.append(tag) }
        let s = try mutateServer(call) { s in
            s.tags = unique
            s.updated = call.now
        }
        return SimHTTP.json(["tags": .array(s.tags.map { .string($0) })])
    }

    func deleteAllTags(_ call: ComputeCall) async throws -> Response {
        try requireTags(call)
        try mutateServer(call) { s in
            s.tags = []
            s.updated = call.now
        }
        return SimHTTP.empty(status: 204)
    }

    func checkTag(_ call: ComputeCall) async throws -> Response {
        try requireTags(call)
        let tag = try call.param("tag")
        guard try readServer(call).tags.contains(tag) else {
            throw SimulatorError.notFound("Tag '\(tag)' could not be found.")
        }
        return SimHTTP.empty(status: 204)
    }

    func addTag(_ call: ComputeCall) async throws -> Response {
        try requireTags(call)
        let tag = try call.param("tag")
        guard Self.validTag(tag) else { throw SimulatorError.badRequest("Tag '\(tag)' is invalid.") }
        var added = false
        let s = try mutateServer(call) { s in
            if !s.tags.contains(tag) {
                guard s.tags.count < 50 else {
                    throw SimulatorError.badRequest("The number of tags exceeded the per-server limit 50")
                }
                s.tags.append(tag)
                s.updated = call.now
                added = true
            }
        }
        let location = "\(call.base)/v2.1/servers/\(s.id)/tags/\(tag)"
        return SimHTTP.empty(status: added ? 201 : 204, headers: [("Location", location)])
    }

    func deleteTag(_ call: ComputeCall) async throws -> Response {
        try requireTags(call)
        let tag = try call.param("tag")
        try mutateServer(call) { s in
            guard s.tags.contains(tag) else { throw SimulatorError.notFound("Tag '\(tag)' could not be found.") }
            s.tags.removeAll { $0 == tag }
            s.updated = call.now
        }
        return SimHTTP.empty(status: 204)
    }

    // MARK: IPs and interfaces

    func listIPs(_ call: ComputeCall) async throws -> Response {
        SimHTTP.json(["addresses": addressesJSON(try readServer(call))])
    }

    func showIPs(_ call: ComputeCall) async throws -> Response {
        let network = try call.param("network")
        let s = try readServer(call)
        guard let entries = addressesJSON(s)[network] else {
            throw SimulatorError.notFound("Instance \(s.id) is not attached to network \(network).")
        }
        return SimHTTP.json([network: entries])
    }

    /// One `interfaceAttachment` from the live Neutron port (Nova asks Neutron), tagged from 2.70.
    func interfaceJSON(_ record: ServerPortRecord, _ port: NeutronPort?, call: ComputeCall) -> JSONValue {
        let fixed = port?.fixedIPs ?? record.fixedIPs
        var o: [String: JSONValue] = [
            "port_id": .string(record.portID), "net_id": .string(port?.networkID ?? record.networkID),
            "mac_addr": .string(port?.macAddress ?? record.mac), "port_state": .string(port?.status ?? "ACTIVE"),
            "fixed_ips": .array(fixed.map { ["subnet_id": .string($0.subnetID), "ip_address": .string($0.ipAddress)] }),
        ]
        if call.atLeast(2, 70) { o["tag"] = .string(record.tag) }
        return .object(o)
    }

    func listInterfaces(_ call: ComputeCall) async throws -> Response {
        let server = try readServer(call)
        let items = livePorts(server.ports).map { interfaceJSON($0.0, $0.1, call: call) }
        return SimHTTP.json(["interfaceAttachments": .array(items)])
    }

    func showInterface(_ call: ComputeCall) async throws -> Response {
        let portID = try call.param("port")
        let server = try readServer(call)
        guard let record = server.ports.first(where: { $0.portID == portID }),
              let (_, port) = livePorts([record]).first else {
            throw SimulatorError.notFound("Port \(portID) is not attached")
        }
        return SimHTTP.json(["interfaceAttachment": interfaceJSON(record, port, call: call)])
    }

    /// `POST /servers/{id}/os-interface`: a port created on `net_id` (or the one available network) or
    /// the given `port_id` bound, as at boot; Nova's attach answers (404 unknown, 409 in use).
    func attachInterface(_ call: ComputeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard let request = body["interfaceAttachment"]?.objectValue ?? (body["interfaceAttachment"] == nil ? [:] : nil) else {
            throw SimulatorError.badRequest("Invalid input for field/attribute interfaceAttachment. Value: \(body). is not of type 'object'")
        }
        let netID = request["net_id"]?.stringValue
        let portID = request["port_id"]?.stringValue
        if netID != nil, portID != nil {
            throw SimulatorError.badRequest("Must not input both network_id and port_id")
        }
        let fixedIP = request["fixed_ips"]?.arrayValue?.first?["ip_address"]?.stringValue
        if fixedIP != nil, netID == nil {
            throw SimulatorError.badRequest("Must input network_id when request IP address")
        }
        if request["tag"] != nil, !call.atLeast(2, 49) {
            throw SimulatorError.badRequest("Invalid input for field/attribute interfaceAttachment. Value: \(JSONValue.object(request)). Additional properties are not allowed ('tag' was unexpected)")
        }
        let tag = request["tag"]?.stringValue
        let id = try call.param("id")
        let server = try readServer(call)
        if server.locked, !call.isAdmin { throw SimulatorError.conflict("Instance \(id) is locked") }
        guard ["active", "paused", "stopped", "suspended", "shelved", "shelved_offloaded"].contains(server.vmState), server.taskState == nil else {
            throw SimulatorError.conflict("Cannot 'attach_interface' instance \(id) while it is in vm_state \(server.vmState)")
        }
        let wanted: BootNetworks = netID == nil && portID == nil
            ? .auto : .list([RequestedNIC(networkID: netID, portID: portID, fixedIP: fixedIP, tag: tag)])
        var plan = try planNICs(wanted, call: call, attach: true)
        if case .auto = wanted, case .create(let network, _, _)? = plan.first {
            plan = [.create(networkID: network, fixedIP: nil, tag: tag)]
        }
        let records = try plugPorts(plan, serverID: id, host: server.host, securityGroups: server.securityGroups, call: call)
        do {
            try store.compute.withLock { state in
                guard var s = state.servers[id], !s.isGone(at: call.now) else {
                    throw SimulatorError.notFound("Instance \(id) could not be found.")
                }
                s.ports.append(contentsOf: records)
                s.updated = call.now
                state.servers[id] = s
            }
        } catch {
            // The server went away meanwhile: its new port goes too.
            unplugPorts(records, serverID: id, call: call)
            throw error
        }
        guard let record = records.first else {
            throw SimulatorError.badRequest("No specific network was requested and none are available for project '\(call.token.projectID)'.")
        }
        return SimHTTP.json(["interfaceAttachment": interfaceJSON(record, livePorts([record]).first?.1, call: call)])
    }

    /// `DELETE /servers/{id}/os-interface/{port}`: Nova's own port is deleted, a given one unbound.
    func detachInterface(_ call: ComputeCall) async throws -> Response {
        let portID = try call.param("port")
        let id = try call.param("id")
        let record = try store.compute.withLock { state -> ServerPortRecord in
            var s = try findServer(id, call: call, in: state)
            if s.locked, !call.isAdmin { throw SimulatorError.conflict("Instance \(id) is locked") }
            guard let record = s.ports.first(where: { $0.portID == portID }) else {
                throw SimulatorError.notFound("Port \(portID) is not attached")
            }
            s.ports.removeAll { $0.portID == portID }
            s.updated = call.now
            state.servers[id] = s
            return record
        }
        unplugPorts([record], serverID: id, call: call)
        return SimHTTP.empty(status: 202)
    }
}
