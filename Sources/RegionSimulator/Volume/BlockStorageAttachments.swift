import Foundation
import Hummingbird
import OpenStackModels

/// A Cinder attachment made through the attachments API (3.27+), as Nova's new attach flow makes them:
/// `reserved` without a connector, `attaching` once a connector is given, `attached` after os-complete.
struct CinderAttachmentRecord: Sendable {
    var id: String
    var volumeID: String
    var instanceID: String?
    var projectID: String
    var status: String
    var mode: String
    var connector: [String: JSONValue]?
    var attachedAt: Date?
}

/// `/v3/{project}/attachments` (cinder/api/v3/attachments.py): create, list, show, update (PUT with a
/// connector), delete and `os-complete`, from 3.27 (`os-complete` from 3.44, `mode` from 3.54).
extension BlockStorageAPI {
    static let attachmentsVersion = Microversion(3, 27)

    func requireAttachments(_ call: VolumeCall, since: Microversion = attachmentsVersion) throws {
        guard call.version >= since else { throw SimulatorError.notFound("The resource could not be found.") }
    }

    /// What the fake driver hands back for a connector (Cinder's `connection_info`).
    static func connectionInfo(_ a: CinderAttachmentRecord) -> JSONValue {
        guard a.connector != nil else { return .object([:]) }
        return ["driver_volume_type": "fake", "data": ["volume_id": .string(a.volumeID), "access_mode": .string(a.mode)], "attachment_id": .string(a.id)]
    }

    func attachmentJSON(_ a: CinderAttachmentRecord, detail: Bool) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(a.id), "status": .string(a.status), "instance": .string(a.instanceID), "volume_id": .string(a.volumeID),
        ]
        if detail {
            o["attached_at"] = .string(a.attachedAt.map(SimTime.cinder))
            o["detached_at"] = nil
            o["attach_mode"] = .string(a.mode)
            o["connection_info"] = Self.connectionInfo(a)
        }
        return .object(o)
    }

    private func findAttachment(_ id: String, _ call: VolumeCall, in state: VolumeState) throws -> CinderAttachmentRecord {
        guard let a = state.attachments[id], a.projectID == call.token.projectID || call.isAdmin else {
            throw SimulatorError.notFound("Volume attachment could not be found with filter: attachment_id = \(id).")
        }
        return a
    }

    func createAttachment(_ call: VolumeCall) async throws -> Response {
        try requireAttachments(call)
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let request = try SimHTTP.member(body, "attachment", format: .fault)
        guard let volumeID = request["volume_uuid"]?.stringValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute attachment. Value: \(JSONValue.object(request)). 'volume_uuid' is a required property")
        }
        let mode = call.version >= Microversion(3, 54) ? request["mode"]?.stringValue ?? "rw" : "rw"
        guard mode == "rw" || mode == "ro" else {
            throw SimulatorError.badRequest("Invalid input for field/attribute mode. Value: \(mode). '\(mode)' is not one of ['rw', 'ro']")
        }
        let connector = request["connector"]?.objectValue.flatMap { $0.isEmpty ? nil : $0 }
        let attachment = try store.volumes.withLock { state -> CinderAttachmentRecord in
            var v = try findVolume(volumeID, call: call, in: state)
            guard v.status == "available" || v.status == "reserved" || (v.multiattach && v.status == "in-use") else {
                throw SimulatorError.badRequest("Invalid volume: Volume \(volumeID) status must be available or in-use or downloading to reserve, but the current status is \(v.status).")
            }
            let a = CinderAttachmentRecord(
                id: newUUID(), volumeID: volumeID, instanceID: request["instance_uuid"]?.stringValue, projectID: v.projectID,
                status: connector == nil ? "reserved" : "attaching", mode: mode, connector: connector, attachedAt: nil)
            v.status = connector == nil ? "reserved" : "attaching"
            v.updated = call.now
            state.volumes[volumeID] = v
            state.attachments[a.id] = a
            return a
        }
        return SimHTTP.json(["attachment": attachmentJSON(attachment, detail: true)])
    }

    func listAttachments(detail: Bool) -> @Sendable (VolumeCall) async throws -> Response {
        { call in
            try requireAttachments(call)
            let q = call.request.uri.queryParameters
            let items = store.volumes.withLock { state in
                state.attachments.values
                    .filter { $0.projectID == call.token.projectID || call.isAdmin }
                    .filter { a in q.get("volume_id").map { a.volumeID == $0 } ?? true }
                    .filter { a in q.get("instance_id").map { a.instanceID == String($0) } ?? true }
                    .filter { a in q.get("status").map { a.status == $0 } ?? true }
                    .sorted { $0.id < $1.id }
            }
            return SimHTTP.json(["attachments": .array(items.map { attachmentJSON($0, detail: detail) })])
        }
    }

    func showAttachment(_ call: VolumeCall) async throws -> Response {
        try requireAttachments(call)
        let id = try call.param("id")
        let a = try store.volumes.withLock { try findAttachment(id, call, in: $0) }
        return SimHTTP.json(["attachment": attachmentJSON(a, detail: true)])
    }

    /// `PUT /attachments/{id}`: the connector of the host the volume goes to; the attachment is `attaching`.
    func updateAttachment(_ call: VolumeCall) async throws -> Response {
        try requireAttachments(call)
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let request = try SimHTTP.member(body, "attachment", format: .fault)
        guard let connector = request["connector"]?.objectValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute attachment. Value: \(JSONValue.object(request)). 'connector' is a required property")
        }
        let a = try store.volumes.withLock { state -> CinderAttachmentRecord in
            var a = try findAttachment(id, call, in: state)
            a.connector = connector
            if a.status == "reserved" { a.status = "attaching" }
            state.attachments[id] = a
            if var v = state.volumes[a.volumeID], v.status == "reserved" {
                v.status = "attaching"
                v.updated = call.now
                state.volumes[a.volumeID] = v
            }
            return a
        }
        return SimHTTP.json(["attachment": attachmentJSON(a, detail: true)])
    }

    /// `POST /attachments/{id}/action` with `os-complete` (3.44): attached, the volume in-use.
    func attachmentAction(_ call: VolumeCall) async throws -> Response {
        try requireAttachments(call, since: Microversion(3, 44))
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard body["os-complete"] != nil else { throw SimulatorError.badRequest("There is no such action: \(body.objectValue?.keys.first ?? "")") }
        try store.volumes.withLock { state in
            var a = try findAttachment(id, call, in: state)
            a.status = "attached"
            a.attachedAt = call.now
            state.attachments[id] = a
            guard var v = state.volumes[a.volumeID] else { return }
            v.status = "in-use"
            v.updated = call.now
            if let instance = a.instanceID, !v.attachments.contains(where: { $0.attachmentID == id }) {
                v.attachments.append(VolumeAttachRecord(attachmentID: id, serverID: instance, device: nil, attachedAt: call.now, hostName: nil))
            }
            state.volumes[a.volumeID] = v
        }
        return SimHTTP.empty(status: 204)
    }

    /// `DELETE /attachments/{id}`: answers the volume's remaining attachments; none left: available.
    func deleteAttachment(_ call: VolumeCall) async throws -> Response {
        try requireAttachments(call)
        let id = try call.param("id")
        let remaining = try store.volumes.withLock { state -> [CinderAttachmentRecord] in
            let a = try findAttachment(id, call, in: state)
            state.attachments[id] = nil
            let left = state.attachments.values.filter { $0.volumeID == a.volumeID }
            if var v = state.volumes[a.volumeID] {
                v.attachments.removeAll { $0.attachmentID == id }
                if left.isEmpty, v.attachments.isEmpty { v.status = "available" }
                v.updated = call.now
                state.volumes[a.volumeID] = v
            }
            return left
        }
        return SimHTTP.json(["attachments": .array(remaining.map { attachmentJSON($0, detail: true) })])
    }
}
