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
        group.get("volumes/detail", use: listDetail)
        group.post("volumes", use: create)
        group.get("volumes/:id", use: show)
        group.put("volumes/:id", use: update)
        group.delete("volumes/:id", use: delete)
        // Metadata goes to the volume's pod unchanged.
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            group.on("volumes/:id/metadata", method: method, use: metadata)
            group.on("volumes/:id/metadata/:key", method: method, use: metadataItem)
        }
    }

    /// `GET /volumes`: merged across pods (see `VolumeAPI.mergedList`).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        // The router treats "volumes/" as "volumes"; Cinder reads it as a show of the empty id.
        if request.uri.path.hasSuffix("/") { throw APIError(.notFound, "Volume  could not be found.", format: .fault) }
        return try await api.mergedList(try await api.begin(request, context), collection: "volumes", type: .volume, detail: false)
    }

    /// `GET /volumes/detail`.
    func listDetail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await api.mergedList(try await api.begin(request, context), collection: "volumes", type: .volume, detail: true)
    }

    /// `PUT /volumes/{id}`: routed.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await routed(try await api.begin(request, context), suffix: "")
    }

    /// `/volumes/{id}/metadata`: routed.
    func metadata(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await routed(try await api.begin(request, context), suffix: "/metadata")
    }

    /// `/volumes/{id}/metadata/{key}`: routed.
    func metadataItem(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        return try await routed(call, suffix: "/metadata/" + (try call.param("key")))
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
        // Backups are not routed by the top, so none is the caller's here: Cinder's 404 for a backup the
        // project cannot get, rather than letting a pod's service decide on the gateway's behalf.
        if let backupID = volume["backup_id"]?.stringValue, !backupID.isEmpty {
            throw APIError(.notFound, "Backup \(backupID) could not be found.", format: .fault)
        }
        // Cinder reads `image_id` as another name for `imageRef` (and prefers it).
        if let alias = volume.removeValue(forKey: "image_id") { volume["imageRef"] = alias }

        let pod: Pod
        if zone == nil, let sourcePod {
            pod = sourcePod.pod
        } else {
            do {
                pod = try await api.runtime.podDirectory.podForCreate(availabilityZone: zone)
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
        let size = volume["size"]?.intValue ?? volume["size"]?.stringValue.flatMap { Int($0) }
        try await VolumeQuota(api: api).reserveVolume(size: size, type: topType, projectID: call.caller.projectID, claim: claim)

        var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
        outgoing["volume"] = .object(volume)
        let response = try await api.forward(call, to: pod, path: "/volumes", body: VolumeAPI.encode(.object(outgoing)))
        guard response.isSuccess else { return api.relay(response, call) }
        guard let created = try? JSONValue(data: response.data), let id = created["volume"]?["id"]?.stringValue else {
            api.logger.error("pod accepted a volume create but its answer has no id", metadata: ["pod": "\(pod.regionName)"])
            throw APIError(.badGateway, "Region \(pod.regionName) accepted the volume but did not say its id.", format: .fault)
        }
        do {
            try await api.runtime.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: call.caller.projectID, type: .volume)
            claim.made(QuotaHolding(objectType: "volume", objectID: id, projectID: call.caller.projectID, podID: pod.podID,
                                    amounts: VolumeQuota.volumeAmounts(size: created["volume"]?["size"]?.intValue ?? size ?? 0, type: topType)))
        } catch {
            api.logger.error("recording a created volume failed; removing it from its pod", metadata: ["id": "\(id)", "error": "\(error)"])
            await api.removeOrphan(call, path: "/volumes/\(id)", in: pod)
            throw APIError(.serviceUnavailable, "The volume could not be recorded at the top and was removed from \(pod.azName); try again.", format: .fault)
        }
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

    /// `GET /volumes/{id}`: routed. A pod that says the volume is gone makes the top forget it.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, type: .volume, call: call)
        let response = try await api.forward(call, to: pod, path: "/volumes/\(bottomID)")
        if response.status == 404 { try? await api.runtime.routing.forget(topID: id, type: .volume) }
        return api.relay(Self.topAZ(response, pod: pod), call)
    }

    /// Update and metadata calls of one volume: routed, answered as the pod answered.
    func routed(_ call: VolumeCall, suffix: String) async throws -> Response {
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, type: .volume, call: call)
        let hasBody = call.request.method == .post || call.request.method == .put
        let response = try await api.forward(call, to: pod, path: "/volumes/\(bottomID)\(suffix)", body: hasBody ? try await api.body(call) : nil)
        return api.relay(Self.topAZ(response, pod: pod), call)
    }

    /// `DELETE /volumes/{id}`: routed; the routing row goes once the pod says the volume is gone
    /// (Cinder deletes asynchronously: a later show that gets 404 forgets it too).
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, type: .volume, call: call)
        let response = try await api.forward(call, to: pod, path: "/volumes/\(bottomID)")
        if response.status == 404 {
            try? await api.runtime.routing.forget(topID: id, type: .volume)
        } else if response.isSuccess {
            if let check = try? await api.send(call, .get("/volumes/\(bottomID)"), to: pod), check.status == 404 {
                try? await api.runtime.routing.forget(topID: id, type: .volume)
            }
        }
        return api.relay(response, call)
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
