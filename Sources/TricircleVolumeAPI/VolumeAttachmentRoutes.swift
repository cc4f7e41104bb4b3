import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/attachments` (Cinder 3.27+, what Nova's attach flow and openstacksdk's `create_attachment` use): an
/// attachment lives in its volume's region. A create goes to the pod of `volume_uuid` (the volume checked
/// against the caller's project at the top; a server in another region is refused as `os-attach` is);
/// show, update (PUT with a connector), delete and `os-complete` go to the pod holding the attachment,
/// found by asking the pods with the caller's token (Cinder answers only for its own project's); lists
/// are every pod's, concatenated.
struct VolumeAttachmentRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("attachments", use: list(detail: false))
        group.get("attachments/detail", use: list(detail: true))
        group.post("attachments", use: create)
        group.get("attachments/:id", use: one(suffix: ""))
        group.put("attachments/:id", use: one(suffix: ""))
        group.delete("attachments/:id", use: one(suffix: ""))
        group.post("attachments/:id/action", use: one(suffix: "/action"))
    }

    /// `POST /attachments`: made by the Cinder of the volume's region.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        var attachment = try api.member(try await api.body(call), "attachment")
        guard let volumeID = attachment["volume_uuid"]?.stringValue else {
            throw VolumeAPI.badRequest("Invalid input for field/attribute attachment. Value: \(JSONValue.object(attachment)). 'volume_uuid' is a required property")
        }
        let (pod, bottomVolume) = try await api.locate(volumeID, type: .volume, call: call)
        attachment["volume_uuid"] = .string(bottomVolume)
        if let server = attachment["instance_uuid"]?.stringValue,
           let row = try await api.routing.resolveOne(topID: server, type: .server, projectID: call.caller.isAdmin ? nil : call.caller.projectID) {
            guard row.podID == pod.podID else {
                let serverAZ = try await api.pods.pod(id: row.podID)?.azName ?? row.podID
                throw VolumeAPI.badRequest("Invalid volume: volume \(volumeID) is in availability zone \(pod.azName) and server \(server) is in \(serverAZ); a volume can only be attached to a server in the same availability zone.")
            }
            attachment["instance_uuid"] = .string(row.bottomID ?? server)
        }
        let body = VolumeAPI.encode(["attachment": .object(attachment)])
        return api.relay(try await api.forward(call, to: pod, path: "/attachments", body: body), call)
    }

    /// Show, PUT, DELETE and actions of one attachment, in the pod that holds it.
    func one(suffix: String) -> VolumeAPI.Handler {
        { request, context in
            let call = try await api.begin(request, context)
            let id = try call.param("id")
            let path = "/attachments/\(id)"
            let holder = await Fanout.first(try await api.pods.bottomPods()) { pod -> Pod? in
                guard let found = try? await api.send(call, .get(path), to: pod), found.isSuccess else { return nil }
                return pod
            }
            guard let pod = holder else {
                // A pod that refused the caller's token did not say the attachment is unknown.
                if let rejection = await CallerTokenCheck.current?.rejection() { throw rejection }
                throw APIError(.notFound, "Volume attachment could not be found with filter: attachment_id = \(id).", format: .fault)
            }
            let hasBody = call.request.method == .post || call.request.method == .put
            return api.relay(try await api.forward(call, to: pod, path: path + suffix, body: hasBody ? try await api.body(call) : nil), call)
        }
    }

    /// `GET /attachments[/detail]`: every pod's attachments of the caller's project, the query passed on.
    func list(detail: Bool) -> VolumeAPI.Handler {
        { request, context in
            let call = try await api.begin(request, context)
            let path = "/attachments" + (detail ? "/detail" : "") + PodForwarder.query(of: request)
            let answers = try await Fanout.results(try await api.pods.bottomPods()) { pod in
                try await api.send(call, .get(path), to: pod)
            }
            var items: [JSONValue] = []
            for case .success(let answer) in answers {
                if (400..<500).contains(answer.status) {
                    // A microversion below 3.27 (404) or a bad filter: every pod answers alike, so this is the answer.
                    return api.relay(answer, call)
                }
                items += (try? JSONValue(data: answer.data))?["attachments"]?.arrayValue ?? []
            }
            return api.json(["attachments": .array(items)], call: call)
        }
    }
}
