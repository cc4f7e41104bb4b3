import Foundation
import Hummingbird
import OpenStackModels

extension BlockStorageAPI {
    func volumeAction(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard case .object(let object) = body, object.count == 1, let (name, args) = object.first else {
            throw SimulatorError.badRequest("Malformed request body")
        }
        let transition = self.transition
        return try store.volumes.withLock { state -> Response in
            var v = try findVolume(id, call: call, in: state)
            switch name {
            case "os-extend":
                guard let newSize = args["new_size"]?.intValue ?? args["new_size"]?.stringValue.flatMap({ Int($0) }) else {
                    throw SimulatorError.badRequest("Invalid input for field/attribute new_size.")
                }
                let allowed = call.atLeast(3, 42) ? ["available", "in-use"] : ["available"]
                guard allowed.contains(v.status) else {
                    throw SimulatorError.badRequest("Invalid volume: Volume \(id) status must be '\(allowed.joined(separator: "' or '"))' to extend, currently \(v.status).")
                }
                guard newSize > v.size else {
                    throw SimulatorError.badRequest("Invalid input received: New size for extend must be greater than current size. (current: \(v.size), extended: \(newSize)).")
                }
                let back = v.status
                v.size = newSize
                v.status = "extending"
                v.pending = Pending(due: call.now.addingTimeInterval(transition), target: back)
            case "os-reset_status":
                try requireAdmin(call, "volume_extension:volume_admin_actions:reset_status")
                guard let status = args["status"]?.stringValue else {
                    throw SimulatorError.badRequest("Must specify 'status'")
                }
                v.status = status
                v.pending = nil
                if let attach = args["attach_status"]?.stringValue, attach == "detached" { v.attachments = [] }
            case "os-update_readonly_flag":
                guard let flag = args["readonly"]?.boolValue ?? args["readonly"]?.stringValue.map({ $0.lowercased() == "true" }) else {
                    throw SimulatorError.badRequest("Must specify readonly in request.")
                }
                guard v.status == "available" || v.status == "in-use" else {
                    throw SimulatorError.badRequest("Invalid volume: Volume status must be available or in-use.")
                }
                v.readonly = flag
                v.metadata["readonly"] = flag ? "True" : "False"
            case "os-retype":
                guard let newType = args["new_type"]?.stringValue, let type = state.type(named: newType) else {
                    throw SimulatorError.notFound("Volume type \(args["new_type"]?.stringValue ?? "") could not be found.")
                }
                guard v.status == "available" || v.status == "in-use" else {
                    throw SimulatorError.badRequest("Invalid volume: Volume status must be available or in-use, but current status is: \(v.status).")
                }
                guard type.id != v.volumeTypeID else {
                    throw SimulatorError.badRequest("Invalid volume: Retype requires a different volume type.")
                }
                let back = v.status
                v.volumeTypeID = type.id
                v.status = "retyping"
                v.pending = Pending(due: call.now.addingTimeInterval(transition), target: back)
            case "os-attach":
                guard let server = args["instance_uuid"]?.stringValue ?? args["host_name"]?.stringValue else {
                    throw SimulatorError.badRequest("Invalid request to attach volume to an invalid target")
                }
                guard v.status == "available" || v.status == "attaching" || v.status == "reserved" || (v.multiattach && v.status == "in-use") else {
                    throw SimulatorError.badRequest("Invalid volume: Volume status must be available or reserved.")
                }
                v.status = "in-use"
                v.attachments.append(VolumeAttachRecord(
                    attachmentID: newUUID(), serverID: server, device: args["mountpoint"]?.stringValue, attachedAt: call.now,
                    hostName: args["host_name"]?.stringValue))
            case "os-detach":
                guard v.status == "in-use" || v.status == "detaching" else {
                    throw SimulatorError.badRequest("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.")
                }
                if let attachment = args["attachment_id"]?.stringValue {
                    v.attachments.removeAll { $0.attachmentID == attachment }
                } else {
                    v.attachments = []
                }
                if v.attachments.isEmpty { v.status = "available" }
            case "os-reserve":
                guard v.status == "available" else { throw SimulatorError.badRequest("Invalid volume: Volume status must be available to reserve.") }
                v.status = "attaching"
            case "os-unreserve":
                if v.status == "attaching" { v.status = "available" }
            case "os-begin_detaching":
                guard v.status == "in-use" else { throw SimulatorError.badRequest("Invalid volume: Volume status must be in-use.") }
                v.status = "detaching"
            case "os-roll_detaching":
                if v.status == "detaching" { v.status = "in-use" }
            case "os-set_bootable":
                v.bootable = args["bootable"]?.boolValue ?? (args["bootable"]?.stringValue?.lowercased() == "true")
            case "os-volume_upload_image":
                return try uploadToImage(&v, args: args, call: call, transition: transition, state: &state)
            case "os-force_delete":
                try requireAdmin(call, "volume_extension:volume_admin_actions:force_delete")
                state.volumes[id] = nil
                state.order.removeAll { $0 == id }
                return SimHTTP.empty(status: 202)
            default:
                throw SimulatorError.badRequest("There is no such action: \(name)")
            }
            v.updated = call.now
            state.volumes[id] = v
            return SimHTTP.empty(status: name == "os-set_bootable" ? 200 : 202)
        }
    }

    /// `os-volume_upload_image`: as Cinder, creates an image in the region's Glance (queued, then active
    /// with the volume's data once the upload is done) and keeps the volume `uploading` meanwhile.
    /// Called with the volume lock held; takes the image lock after it (the store's lock order).
    private func uploadToImage(
        _ v: inout VolumeRecord, args: JSONValue, call: VolumeCall, transition: TimeInterval, state: inout VolumeState
    ) throws -> Response {
        guard let imageName = args["image_name"]?.stringValue, !imageName.isEmpty else {
            throw SimulatorError.badRequest("No image_name was specified in request.")
        }
        let force = args["force"]?.boolValue ?? (args["force"]?.stringValue?.lowercased() == "true")
        guard v.status == "available" || (force && v.status == "in-use") else {
            throw SimulatorError.badRequest("Invalid volume: Volume \(v.id) status must be available or in-use with force, but current status is: \(v.status).")
        }
        let diskFormat = args["disk_format"]?.stringValue ?? "raw"
        let containerFormat = args["container_format"]?.stringValue ?? "bare"
        guard ImageAPI.diskFormats.contains(diskFormat), ImageAPI.containerFormats.contains(containerFormat) else {
            throw SimulatorError.badRequest("Invalid image metadata: disk_format \(diskFormat) or container_format \(containerFormat) is not supported.")
        }
        let visibility = call.atLeast(3, 1) ? args["visibility"]?.stringValue ?? "private" : "private"
        guard ImageAPI.visibilities.contains(visibility) else {
            throw SimulatorError.badRequest("Invalid input for field/attribute visibility. Value: \(visibility).")
        }
        let protected = call.atLeast(3, 1) ? (args["protected"]?.boolValue ?? false) : false
        let imageID = newUUID()
        var object = ImageState.baseObject(id: imageID, name: imageName, owner: call.token.projectID, visibility: visibility, created: call.now)
        object["disk_format"] = .string(diskFormat)
        object["container_format"] = .string(containerFormat)
        object["protected"] = .bool(protected)
        object["min_disk"] = .int(v.size)
        for (key, value) in v.imageMetadata ?? [:] where object[key] == nil { object[key] = .string(value) }
        store.addServiceImage(
            id: imageID, object: object, data: RegionStore.serviceImageData(seed: "volume \(v.id) uploaded as image \(imageID)"),
            created: call.now, activeAt: call.now.addingTimeInterval(transition))
        let back = v.status
        v.status = "uploading"
        v.pending = Pending(due: call.now.addingTimeInterval(transition), target: back)
        v.updated = call.now
        state.volumes[v.id] = v
        let type: JSONValue = state.type(named: v.volumeTypeID).map { JSONValue.object(["id": .string($0.id), "name": .string($0.name)]) } ?? .null
        return SimHTTP.json([
            "os-volume_upload_image": [
                "id": .string(v.id), "updated_at": .string(SimTime.iso(call.now)), "status": "uploading",
                "display_description": .string(v.description), "size": .int(v.size),
                "volume_type": type,
                "image_id": .string(imageID), "container_format": .string(containerFormat),
                "disk_format": .string(diskFormat), "image_name": .string(imageName),
                "visibility": .string(visibility), "protected": .bool(protected),
            ],
        ], status: 202)
    }
}
