import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `POST /volumes/{id}/action`: routed to the volume's pod, other top resources it names translated.
struct VolumeActionRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("volumes/:id/action", use: action)
    }

    /// `POST /volumes/{id}/action`: every action (os-extend, os-set_bootable, os-update_readonly_flag,
    /// os-retype, os-reset_status, os-attach/os-detach, os-reserve, ...) goes to the volume's pod.
    /// Only what names another top resource is looked at: a retype's type (by name in that pod) and an
    /// attach's server (which must be in the same pod).
    func action(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = VolumeQuota(api: api).claim()
        return try await VolumeQuota.settling(claim) { try await action(request, context: context, claim: claim) }
    }

    /// The action holding the quota reservation of an extend's growth (`VolumeQuota`).
    func action(_ request: Request, context: GatewayRequestContext, claim: QuotaClaim) async throws -> Response {
        let call = try await api.begin(request, context)
        let id = try call.param("id")
        var extended: QuotaHolding?
        let (pod, bottomID) = try await api.locate(id, type: .volume, call: call)
        var raw = try await api.body(call)
        if var object = (try? JSONValue(data: Data(buffer: raw)))?.objectValue, object.count == 1, let first = object.first {
            let (name, args) = (first.key, first.value)
            switch name {
            case "os-retype":
                if var arguments = args.objectValue, let type = arguments["new_type"]?.stringValue {
                    arguments["new_type"] = .string(try await api.types.translate(type, to: pod, call: call))
                    object[name] = .object(arguments)
                    raw = VolumeAPI.encode(.object(object))
                }
            case "os-attach":
                if let server = args["instance_uuid"]?.stringValue,
                   let row = try await api.routing.resolveOne(topID: server, type: .server, projectID: call.caller.isAdmin ? nil : call.caller.projectID),
                   row.podID != pod.podID {
                    let serverAZ = try await api.pods.pod(id: row.podID)?.azName ?? row.podID
                    throw VolumeAPI.badRequest("Invalid volume: volume \(id) is in availability zone \(pod.azName) and server \(server) is in \(serverAZ); a volume can only be attached to a server in the same availability zone.")
                }
            case "os-migrate_volume":
                // The top shows hosts as `<region>:<host>` (`VolumeRoutes.topVolume`); the pod knows its own part.
                let prefix = pod.regionName + ":"
                if var arguments = args.objectValue, let host = arguments["host"]?.stringValue, host.hasPrefix(prefix) {
                    arguments["host"] = .string(String(host.dropFirst(prefix.count)))
                    object[name] = .object(arguments)
                    raw = VolumeAPI.encode(.object(object))
                }
            case "os-extend":
                if let newSize = args.objectValue.map(VolumeExtend.init(object:))?.newSize {
                    extended = try await VolumeQuota(api: api).reserveExtend(volumeID: id, newSize: newSize, projectID: call.caller.projectID, claim: claim)
                }
            default:
                break
            }
        }
        let response = try await api.forward(call, to: pod, path: "/volumes/\(bottomID)/action", body: raw)
        if response.isSuccess, let extended { claim.made(extended) }
        // The image lands in the pod's Glance: it becomes a top image under the same id (imported by a job).
        if response.status == 202, let images = api.images,
           let imageID = (try? JSONValue(data: response.data))?["os-volume_upload_image"]?["image_id"]?.stringValue {
            try await images.imageMadeInPod(imageID, in: pod, context: PodCallContext(caller: call.caller, requestID: call.context.requestID))
        }
        return api.relay(response, call)
    }
}
