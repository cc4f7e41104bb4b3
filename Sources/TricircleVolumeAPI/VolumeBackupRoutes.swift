import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/backups`: a backup is made by the Cinder of its volume's region and its data stays there, so the
/// create goes to the volume's pod, the backup is recorded at the top (top id = bottom id), listed across
/// pods and routed by id. The project's one `backups` and `backup_gigabytes` quota is reserved at the top
/// first (Cinder's 413); a restore into a new volume reserves `volumes` and `gigabytes` the same way.
struct VolumeBackupRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("backups", use: api.list(.volumeBackup, detail: false))
        group.get("backups/detail", use: api.list(.volumeBackup, detail: true))
        group.post("backups", use: create)
        group.get("backups/:id", use: api.routed(.volumeBackup))
        group.delete("backups/:id", use: api.delete(.volumeBackup))
        group.post("backups/:id/restore", use: restore)
    }

    /// `POST /backups`: made in the pod of `backup.volume_id`, holding one backup and the volume's GiB.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = VolumeQuota(api: api).claim()
        return try await claim.settling {
            let call = try await api.begin(request, context)
            let raw = try await api.body(call)
            var backup = try api.member(raw, "backup")
            guard let volumeID = backup["volume_id"]?.stringValue else {
                throw VolumeAPI.badRequest("Invalid input for field/attribute backup. 'volume_id' is a required property")
            }
            let (pod, bottomVolume) = try await api.locate(volumeID, type: .volume, call: call)
            backup["volume_id"] = .string(bottomVolume)
            let size = try await size(ofVolume: volumeID, bottomID: bottomVolume, in: pod, call: call)
            let amounts = ["backups": 1, "backup_gigabytes": size]
            try await VolumeQuota(api: api).reserve(amounts, projectID: call.caller.projectID, claim: claim)
            var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
            outgoing["backup"] = .object(backup)
            let response = try await api.forward(call, to: pod, path: "/backups", body: VolumeAPI.encode(.object(outgoing)))
            guard response.isSuccess else { return api.relay(response, call) }
            let id = try api.createdID(try? JSONValue(data: response.data), member: "backup", in: pod)
            try await api.recordCreated(id, type: .volumeBackup, in: pod, call: call, claim: claim, amounts: amounts)
            return api.relay(response, call)
        }
    }

    /// `POST /backups/{id}/restore`: in the backup's pod, onto a volume of the caller's there (another
    /// region's volume cannot read the backup: 400), or into a new volume (reserved and recorded at the top).
    func restore(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = VolumeQuota(api: api).claim()
        return try await claim.settling {
            let call = try await api.begin(request, context)
            let id = try call.param("id")
            let (pod, bottomID) = try await api.locate(id, type: .volumeBackup, call: call)
            let raw = try await api.body(call)
            var restore = try api.member(raw, "restore")
            var newVolumeSize: Int?
            if let volumeID = restore["volume_id"]?.stringValue {
                let (volumePod, bottomVolume) = try await api.locate(volumeID, type: .volume, call: call)
                guard volumePod.podID == pod.podID else {
                    throw VolumeAPI.badRequest("Invalid volume: volume \(volumeID) is in \(volumePod.azName), backup \(id) in \(pod.azName); a backup is restored in its own availability zone.")
                }
                restore["volume_id"] = .string(bottomVolume)
            } else {
                let size = try await api.quota
                    .holding(objectType: ResourceType.volumeBackup.rawValue, objectID: id)?.amounts["backup_gigabytes"]
                newVolumeSize = size ?? 0
                try await VolumeQuota(api: api).reserveVolume(size: newVolumeSize, type: nil, projectID: call.caller.projectID, claim: claim)
            }
            var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
            outgoing["restore"] = .object(restore)
            let response = try await api.forward(
                call, to: pod, path: "/backups/\(bottomID)/restore", body: VolumeAPI.encode(.object(outgoing)))
            guard response.isSuccess else { return api.relay(response, call) }
            if let newVolumeSize, let volumeID = (try? JSONValue(data: response.data))?["restore"]?["volume_id"]?.stringValue {
                try await api.recordCreated(volumeID, type: .volume, in: pod, call: call, claim: claim,
                                            amounts: VolumeQuota.volumeAmounts(size: newVolumeSize, type: nil))
            }
            return api.relay(response, call)
        }
    }

    /// A volume's GiB as the top counts it, else as its pod shows it.
    func size(ofVolume id: String, bottomID: String, in pod: Pod, call: VolumeCall) async throws -> Int {
        if let held = try await api.quota.holding(objectType: ResourceType.volume.rawValue, objectID: id)?
            .amounts["gigabytes"] {
            return held
        }
        let shown = try await api.send(call, .get("/volumes/\(bottomID)"), to: pod)
        return (try? JSONValue(data: shown.data))?["volume"]?["size"]?.intValue ?? 0
    }
}
