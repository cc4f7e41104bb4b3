import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/volumes` and one volume: created in the pod serving the AZ, listed across pods, routed by id.
struct VolumeRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("volumes", use: list)
        group.get("volumes/detail", use: api.list(.volume, detail: true))
        group.post("volumes", use: create)
        // Show, update and metadata: routed, answered as the pod answered with the top's names (`topAZ`).
        group.get("volumes/:id", use: api.routed(.volume, shown: Self.topAZ))
        group.put("volumes/:id", use: api.routed(.volume, shown: Self.topAZ))
        group.delete("volumes/:id", use: api.delete(.volume))
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            group.on("volumes/:id/metadata", method: method, use: api.routed(.volume, suffix: "/metadata", shown: Self.topAZ))
            group.on("volumes/:id/metadata/:key", method: method, use: api.routed(.volume, suffix: "/metadata/:key", shown: Self.topAZ))
        }
    }

    /// `GET /volumes`: merged across pods (see `VolumeAPI.mergedList`).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        // The router treats "volumes/" as "volumes"; Cinder reads it as a show of the empty id.
        if request.uri.path.hasSuffix("/") { throw APIError(.notFound, "Volume  could not be found.", format: .fault) }
        return try await api.mergedList(try await api.begin(request, context), collection: "volumes", type: .volume, detail: false)
    }

    /// `POST /volumes`: the pod is the one serving the requested AZ (or the source's pod, or the default);
    /// every field is kept, the AZ and the volume type translated to the pod's, then the top records
    /// where the volume lives (top id = bottom id).
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = VolumeQuota(api: api).claim()
        return try await VolumeQuota.settling(claim) { try await create(request, context: context, claim: claim) }
    }

    /// The create holding its quota reservation (`VolumeQuota`), committed once the volume is recorded.
    func create(_ request: Request, context: GatewayRequestContext, claim: QuotaClaim) async throws -> Response {
        let call = try await api.begin(request, context)
        let raw = try await api.body(call)
        let envelope = try api.member(raw, "volume")
        var volume = envelope
        let zone = volume["availability_zone"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }

        // A volume made from a snapshot or another volume must be made where that source is.
        var sourcePod: (pod: Pod, what: String)?
        if let snapshotID = volume["snapshot_id"]?.stringValue {
            let (pod, bottomID) = try await api.locate(snapshotID, type: .snapshot, call: call)
            volume["snapshot_id"] = .string(bottomID)
            sourcePod = (pod, "snapshot \(snapshotID)")
        }
        if let sourceID = volume["source_volid"]?.stringValue {
            let (pod, bottomID) = try await api.locate(sourceID, type: .volume, call: call)
            volume["source_volid"] = .string(bottomID)
            if let other = sourcePod, other.pod.podID != pod.podID {
                throw VolumeAPI.badRequest("Invalid input received: the snapshot and the source volume are in different availability zones (\(other.pod.azName), \(pod.azName)).")
            }
            sourcePod = sourcePod ?? (pod, "volume \(sourceID)")
        }
        // A backup's data stays in its region: the volume is made there. Another project's backup is
        // Cinder's 404; a size below the backup's its 400 (`validate_backup_size`); no size: the backup's.
        var backupSize: Int?
        if let backupID = volume["backup_id"]?.stringValue, !backupID.isEmpty {
            let (pod, bottomID) = try await api.locate(backupID, type: .volumeBackup, call: call)
            volume["backup_id"] = .string(bottomID)
            if let other = sourcePod, other.pod.podID != pod.podID {
                throw VolumeAPI.badRequest("Invalid input received: \(other.what) and backup \(backupID) are in different availability zones (\(other.pod.azName), \(pod.azName)).")
            }
            sourcePod = sourcePod ?? (pod, "backup \(backupID)")
            let shown = try await api.send(call, .get("/backups/\(bottomID)"), to: pod)
            guard shown.isSuccess else { return api.relay(shown, call) }
            backupSize = (try? JSONValue(data: shown.data))?["backup"]?["size"]?.intValue
        }
        // Cinder reads `image_id` as another name for `imageRef` (and prefers it).
        if let alias = volume.removeValue(forKey: "image_id") { volume["imageRef"] = alias }

        let pod: Pod
        if zone == nil, let sourcePod {
            pod = sourcePod.pod
        } else {
            do {
                pod = try await api.pods.podForCreate(availabilityZone: zone)
            } catch PodSelectionError.unknownAvailabilityZone(let name) {
                throw VolumeAPI.badRequest("Invalid input received: Availability zone '\(name)' is invalid.")
            } catch PodSelectionError.noBottomPods {
                throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .fault)
            }
        }
        if let sourcePod, sourcePod.pod.podID != pod.podID {
            throw VolumeAPI.badRequest("Invalid input received: \(sourcePod.what) is in availability zone \(sourcePod.pod.azName); a volume made from it must be created in the same availability zone, not \(pod.azName).")
        }
        volume["availability_zone"] = .string(pod.bottomAZ)
        if let image = volume["imageRef"]?.stringValue, let images = api.images {
            volume["imageRef"] = .string(try await ensureImage(image, in: pod, images: images, call: call))
        }
        let topType = volume["volume_type"]?.stringValue
        if let type = topType {
            volume["volume_type"] = .string(try await api.types.translate(type, to: pod, call: call))
        }
        var size = volume["size"]?.intValue ?? volume["size"]?.stringValue.flatMap { Int($0) }
        if let backupSize {
            if let size, size < backupSize {
                throw VolumeAPI.badRequest("Invalid input received: Volume size \(size)GB cannot be smaller than the backup size \(backupSize)GB. It must be >= backup size.")
            }
            size = size ?? backupSize
        }
        try await VolumeQuota(api: api).reserveVolume(size: size, type: topType, projectID: call.caller.projectID, claim: claim)

        var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
        outgoing["volume"] = .object(volume)
        let response = try await api.forward(call, to: pod, path: "/volumes", body: VolumeAPI.encode(.object(outgoing)))
        guard response.isSuccess else { return api.relay(response, call) }
        let created = try? JSONValue(data: response.data)
        let id = try api.createdID(created, member: "volume", in: pod)
        try await api.recordCreated(id, type: .volume, in: pod, call: call, claim: claim,
                                    amounts: VolumeQuota.volumeAmounts(size: created?["volume"]?["size"]?.intValue ?? size ?? 0, type: topType))
        return api.relay(Self.topAZ(response, pod: pod), call)
    }

    /// The pod's id of the image a volume is made from. The provisioner checks with the caller's token
    /// that the caller may see it (whatever copies the pod holds) before copying anything; one the caller
    /// cannot see gets Cinder's 400. Like Cinder, a reference may be an image URL: its last segment is the id.
    func ensureImage(_ reference: String, in pod: Pod, images: any ImageProvisioning, call: VolumeCall) async throws -> String {
        let id = reference.split(separator: "/").last.map(String.init) ?? reference
        do {
            return try await images.ensureImage(id, in: pod, context: PodCallContext(caller: call.caller, requestID: call.context.requestID))
        } catch let error as APIError where error.type == "ImageNotFound" {
            throw VolumeAPI.badRequest("Invalid image identifier or unable to access requested image.")
        }
    }

    /// A pod's volume answer as the top shows it (`topVolume`).
    static func topAZ(_ response: RegionalResponse, pod: Pod) -> RegionalResponse {
        guard response.isSuccess,
              var object = (try? JSONValue(data: response.data))?.objectValue,
              let volume = object["volume"]?.objectValue
        else { return response }
        let shown = topVolume(volume, pod: pod)
        guard shown != volume else { return response }
        object["volume"] = .object(shown)
        var copy = response
        copy.body = VolumeAPI.encode(.object(object))
        return copy
    }

    static let hostKey = "os-vol-host-attr:host"

    /// A pod's volume as the top shows it: the top's AZ name instead of the pod's, and the host (shown to
    /// admins) as `<region>:<host>@<backend>#<pool>`, as the top's `os-services` and pools name it, so a host
    /// read from a volume finds its service there (Tempest's `test_get_service_by_volume_host_name`).
    static func topVolume(_ volume: [String: JSONValue], pod: Pod) -> [String: JSONValue] {
        var out = volume
        if pod.bottomAZ != pod.azName, out["availability_zone"]?.stringValue == pod.bottomAZ {
            out["availability_zone"] = .string(pod.azName)
        }
        if let host = out[hostKey]?.stringValue, !host.isEmpty {
            out[hostKey] = .string(ServiceRoutes.hostName(host, in: pod))
        }
        return out
    }
}
