import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/servers/{id}/os-volume_attachments[/{volume}]`: routed to the server's pod. A volume the routing
/// table places in another pod is refused with a 400 that names both places: Nova can only attach a
/// volume of its own region.
struct ServerVolumeAttachmentRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/os-volume_attachments", use: list)
        group.post("servers/:id/os-volume_attachments", use: create)
        group.get("servers/:id/os-volume_attachments/:volume", use: one)
        group.delete("servers/:id/os-volume_attachments/:volume", use: one)
        group.put("servers/:id/os-volume_attachments/:volume", use: update)
    }

    /// The pod's list; volumes the top does not route yet (made by the boot) are recorded on the way.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let server = try await calls.server(request, context)
        let response = try await calls.call("GET", ComputePodCalls.podPath(request), on: server)
        if response.isSuccess, let items = (try? JSONValue(data: response.data))?["volumeAttachments"]?.arrayValue {
            await calls.adoptVolumes(items.compactMap { $0["volumeId"]?.stringValue }, serverID: server.id, pod: server.pod)
        }
        return ComputePodCalls.relay(response, request: request)
    }

    /// `POST /servers/{id}/os-volume_attachments`: attach a volume.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await attach(request, context, volume: nil)
    }

    /// `PUT /servers/{id}/os-volume_attachments/{volume}`: swap the attached volume.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await attach(request, context, volume: try context.parameters.require("volume"))
    }

    /// The volume's id in `pod`; 400 when the routing table places it in another pod. A volume the
    /// gateway has no row for (made in the pod directly) keeps its id.
    func bottomVolume(_ volumeID: String, on server: ServerCall) async throws -> String {
        let (serverID, pod) = (server.id, server.pod)
        guard let row = try await calls.routing.resolveOne(
            topID: volumeID, type: .volume, projectID: ComputePodCalls.scope(server.caller))
        else { return volumeID }
        guard row.podID == pod.podID else {
            let other = try await calls.pods.pod(id: row.podID)
            let where_ = other.map { "availability zone \($0.azName) (region \($0.regionName))" } ?? "another region"
            throw Nova.badRequest(
                "Volume \(volumeID) is in \(where_) but server \(serverID) is in availability zone \(pod.azName) "
                    + "(region \(pod.regionName)); a volume can only be attached to a server in its own availability zone.")
        }
        return row.bottomID ?? volumeID
    }

    /// POST (attach) and PUT (swap): the body's `volumeId` is translated and checked.
    func attach(_ request: Request, _ context: GatewayRequestContext, volume pathVolume: String?) async throws -> Response {
        let server = try await calls.server(request, context)
        var body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        if var attachment = body["volumeAttachment"]?.objectValue, let volumeID = attachment["volumeId"]?.stringValue {
            attachment["volumeId"] = .string(try await bottomVolume(volumeID, on: server))
            body["volumeAttachment"] = .object(attachment)
        }
        var path = "/servers/\(server.id)/os-volume_attachments"
        if let pathVolume {
            path += "/" + (try await bottomVolume(pathVolume, on: server))
        }
        let response = try await calls.call(
            request.method.rawValue, path, on: server, body: ByteBuffer(data: JSONValue.object(body).encoded()))
        return ComputePodCalls.relay(response, request: request)
    }

    /// GET and DELETE of one attachment, the volume id in the path translated.
    func one(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let volume = try context.parameters.require("volume")
        let server = try await calls.server(request, context)
        let bottom = try await bottomVolume(volume, on: server)
        let response = try await calls.call(request.method.rawValue, "/servers/\(server.id)/os-volume_attachments/\(bottom)", on: server)
        return ComputePodCalls.relay(response, request: request)
    }
}

extension ComputePodCalls {
    /// Volumes a boot made in the pod (`block_device_mapping_v2` from an image, snapshot or blank onto a new
    /// volume): Nova makes them while it builds the server, so the top learns them from the server's
    /// attachments and records them in the server's pod and project, for Cinder at the top to route to.
    /// Best effort: a failure is logged; the next look records them.
    func adoptVolumes(_ volumeIDs: [String], serverID: String, pod: Pod) async {
        do {
            var server: ResourceRouting?
            for volumeID in volumeIDs where try await routing.resolve(topID: volumeID, type: .volume, projectID: nil).isEmpty {
                if server == nil { server = try await routing.resolveOne(topID: serverID, type: .server, projectID: nil) }
                guard let server else { return }
                _ = try await routing.record(topID: volumeID, bottomID: volumeID, podID: pod.podID, projectID: server.projectID, type: .volume)
            }
        } catch {
            logger.warning("boot volumes not recorded", metadata: ["server": "\(serverID)", "error": "\(error)"])
        }
    }
}
