import Foundation
import Hummingbird
import OpenStackModels

extension ComputeAPI {
    func attachmentJSON(_ a: VolumeAttachmentRecord, serverID: String, call: ComputeCall) -> JSONValue {
        var o: [String: JSONValue] = [
            "device": .string(a.device), "serverId": .string(serverID), "volumeId": .string(a.volumeID),
        ]
        if !call.atLeast(2, 89) { o["id"] = .string(a.volumeID) }
        if call.atLeast(2, 70) { o["tag"] = .string(a.tag) }
        if call.atLeast(2, 79) { o["delete_on_termination"] = .bool(a.deleteOnTermination) }
        if call.atLeast(2, 89) {
            o["attachment_id"] = .string(a.attachmentID)
            o["bdm_uuid"] = .string(a.bdmUUID)
        }
        return .object(o)
    }

    /// Attaches in both stores: Nova's record on the server and Cinder's attachment (volume in-use).
    /// Takes the compute lock, then the volume lock (the store's lock order).
    func attachInStores(
        serverID: String, volumeID: String, device: String?, call: ComputeCall, tag: String? = nil,
        deleteOnTermination: Bool = false
    ) throws -> VolumeAttachmentRecord {
        try store.compute.withLock { compute in
            var s = try findServer(serverID, call: call, in: compute)
            if s.volumeAttachments.contains(where: { $0.volumeID == volumeID }) {
                throw SimulatorError.conflict("volume \(volumeID) already attached")
            }
            let attachment = try store.volumes.withLock { volumes -> VolumeAttachmentRecord in
                guard var volume = volumes.volumes[volumeID]?.settled(at: call.now),
                    volume.projectID == call.token.projectID || call.isAdmin
                else {
                    throw SimulatorError.notFound("Volume \(volumeID) could not be found.")
                }
                guard volume.status == "available" || (volume.multiattach && volume.status == "in-use") else {
                    throw SimulatorError.badRequest("Invalid volume: volume \(volumeID) status must be available or downloading, but current status is: \(volume.status)")
                }
                let letter = Character(UnicodeScalar(UInt8(ascii: "b") + UInt8(min(s.volumeAttachments.count, 24))))
                let record = VolumeAttachmentRecord(
                    volumeID: volumeID, attachmentID: newUUID(), device: device ?? "/dev/vd\(letter)", tag: tag,
                    deleteOnTermination: deleteOnTermination, bdmUUID: newUUID())
                volume.status = "in-use"
                volume.updated = call.now
                volume.attachments.append(VolumeAttachRecord(
                    attachmentID: record.attachmentID, serverID: serverID, device: record.device, attachedAt: call.now,
                    hostName: s.host))
                volumes.volumes[volumeID] = volume
                return record
            }
            s.volumeAttachments.append(attachment)
            s.updated = call.now
            compute.servers[serverID] = s
            return attachment
        }
    }

    func listVolumeAttachments(_ call: ComputeCall) async throws -> Response {
        let s = try readServer(call)
        return SimHTTP.json([
            "volumeAttachments": .array(s.volumeAttachments.map { attachmentJSON($0, serverID: s.id, call: call) })
        ])
    }

    func showVolumeAttachment(_ call: ComputeCall) async throws -> Response {
        let volumeID = try call.param("volume")
        let s = try readServer(call)
        guard let a = s.volumeAttachments.first(where: { $0.volumeID == volumeID }) else {
            throw SimulatorError.notFound("Volume \(volumeID) is not attached to the instance \(s.id)")
        }
        return SimHTTP.json(["volumeAttachment": attachmentJSON(a, serverID: s.id, call: call)])
    }

    func attachVolume(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let request = try SimHTTP.member(body, "volumeAttachment", format: .fault)
        guard let volumeID = request["volumeId"]?.stringValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute volumeAttachment. Value: \(JSONValue.object(request)). 'volumeId' is a required property")
        }
        let s = try readServer(call)
        guard ["active", "paused", "stopped", "suspended", "shelved", "shelved_offloaded", "resized", "soft-delete"].contains(s.vmState) else {
            throw SimulatorError.conflict("Cannot 'attach_volume' instance \(id) while it is in vm_state \(s.vmState)")
        }
        let attachment = try attachInStores(
            serverID: id, volumeID: volumeID, device: request["device"]?.stringValue, call: call,
            tag: call.atLeast(2, 49) ? request["tag"]?.stringValue : nil,
            deleteOnTermination: call.atLeast(2, 79) ? (request["delete_on_termination"]?.boolValue ?? false) : false)
        return SimHTTP.json(["volumeAttachment": attachmentJSON(attachment, serverID: id, call: call)])
    }

    /// `PUT /servers/{id}/os-volume_attachments/{volume}` as Nova's `update`: from 2.85 the same volume id
    /// changes `delete_on_termination` (id, serverId, device and tag must match what is recorded: "not
    /// mutable"); another volume id (or any PUT before 2.85) is a swap, admin-only and only for Cinder
    /// while it migrates the old volume, which no simulated volume does (409 as Nova).
    func updateVolumeAttachment(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let volumeID = try call.param("volume")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let request = try SimHTTP.member(body, "volumeAttachment", format: .fault)
        guard let newVolumeID = request["volumeId"]?.stringValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute volumeAttachment. Value: \(JSONValue.object(request)). 'volumeId' is a required property")
        }
        let onlySwap = !call.atLeast(2, 85)
        if onlySwap || newVolumeID != volumeID {
            guard call.isAdmin else {
                throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.")
            }
        }
        if onlySwap {
            let allowed: Set<String> = ["volumeId"]
            if let extra = request.keys.first(where: { !allowed.contains($0) }) {
                throw SimulatorError.badRequest("Invalid input for field/attribute volumeAttachment. Value: \(JSONValue.object(request)). Additional properties are not allowed ('\(extra)' was unexpected)")
            }
        }
        var deleteOnTermination: Bool?
        if !onlySwap, let value = request["delete_on_termination"] {
            guard let flag = value.boolValue else {
                throw SimulatorError.badRequest("Invalid input for field/attribute delete_on_termination. Value: \(value). \(value) is not of type 'boolean'")
            }
            deleteOnTermination = flag
        }
        try store.compute.withLock { compute in
            var s = try findServer(id, call: call, in: compute)
            guard let index = s.volumeAttachments.firstIndex(where: { $0.volumeID == volumeID }) else {
                throw SimulatorError.notFound("No volume Block Device Mapping with id \(volumeID).")
            }
            if !onlySwap {
                let bdm = s.volumeAttachments[index]
                if let v = request["id"], v.stringValue != volumeID { throw SimulatorError.badRequest("The id property is not mutable") }
                if let v = request["serverId"], v.stringValue != id { throw SimulatorError.badRequest("The serverId property is not mutable") }
                if let v = request["device"], v.stringValue != bdm.device { throw SimulatorError.badRequest("The device property is not mutable") }
                if let v = request["tag"], v.stringValue != bdm.tag { throw SimulatorError.badRequest("The tag property is not mutable") }
                if let deleteOnTermination {
                    s.volumeAttachments[index].deleteOnTermination = deleteOnTermination
                    s.updated = call.now
                    compute.servers[id] = s
                }
            }
            if onlySwap || newVolumeID != volumeID {
                throw SimulatorError.conflict("volume \(volumeID) is not migrating; this API should only be called by Cinder")
            }
        }
        return SimHTTP.empty(status: 202)
    }

    func detachVolume(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let volumeID = try call.param("volume")
        try store.compute.withLock { compute in
            var s = try findServer(id, call: call, in: compute)
            guard s.volumeAttachments.contains(where: { $0.volumeID == volumeID }) else {
                throw SimulatorError.notFound("Volume \(volumeID) is not attached to the instance \(id)")
            }
            if s.locked, !call.isAdmin { throw SimulatorError.conflict("Instance \(id) is locked") }
            s.volumeAttachments.removeAll { $0.volumeID == volumeID }
            s.updated = call.now
            compute.servers[id] = s
            store.volumes.withLock { volumes in
                guard var volume = volumes.volumes[volumeID] else { return }
                volume.attachments.removeAll { $0.serverID == id }
                if volume.attachments.isEmpty { volume.status = "available" }
                volume.updated = call.now
                volumes.volumes[volumeID] = volume
            }
        }
        return SimHTTP.empty(status: 202)
    }
}
