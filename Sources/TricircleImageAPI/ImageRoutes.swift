import Foundation
import Hummingbird
import Logging
import NIOCore
import OpenStackModels
import TricircleGateway
import TricircleJobs

/// `/v2/images` and everything under one image (tags, actions, members, import), schemas and info:
/// relayed to the home Glance. Deleting an image also queues the removal of its copies in the pods, and
/// removing a member the removal of that member from the copies.
/// An image a pod made itself (snapshot, volume upload) is shown and deleted in that pod until its
/// import into the home Glance is done (`ImageImports`).
struct ImageRoutes: APIRoutes {
    let relay: ImageRelay
    let jobs: JobEngine
    let imports: ImageImports
    let logger: Logger

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("images", use: forward)
        group.post("images", use: forward)
        group.get("images/:id", use: show)
        group.patch("images/:id", use: forward)
        group.delete("images/:id", use: delete)
        group.put("images/:id/tags/:tag", use: forward)
        group.delete("images/:id/tags/:tag", use: forward)
        group.post("images/:id/actions/:action", use: forward)
        group.post("images/:id/import", use: forward)
        group.get("images/:id/tasks", use: tasks)
        group.get("images/:id/members", use: forward)
        group.post("images/:id/members", use: forward)
        group.get("images/:id/members/:member", use: forward)
        group.put("images/:id/members/:member", use: forward)
        group.delete("images/:id/members/:member", use: removeMember)
        group.get("schemas/**", use: forward)
        group.get("info/**", use: forward)
        group.get("tasks", use: forward)
        group.get("tasks/:id", use: forward)
    }

    /// Relays as is.
    func forward(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await relay.relay(request, context: context)
    }

    /// `GET /v2/images/{id}`: the home Glance's answer; for an image still being imported from a pod, the
    /// pod's (not yet at home) or `importing` (at home, data still arriving).
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let answer = try await relay.send(request, context: context)
        guard let raw = context.parameters.get("id") else {
            return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
        }
        let id = raw.removingPercentEncoding ?? raw
        if answer.status == 404, let shown = try await imports.show(id, request: request, context: context) {
            return shown
        }
        if answer.status == 200, var image = try? answer.decode(Image.self), image.status == "queued" || image.status == "saving",
           try await imports.heldInPod(id) != nil {
            // The import job is writing it: not usable yet, and not the client's upload to wait for.
            image.object["status"] = "importing"
            var shown = answer
            shown.body = ByteBuffer(data: JSONValue.object(image.object).encoded())
            return PodForwarder.relay(shown, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
        }
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }

    /// `GET /v2/images/{id}/tasks` (Glance's image API 2.12): the home Glance's answer; for an image a pod
    /// made that is not at home yet, that pod's (clients wait on these tasks after a server backup).
    func tasks(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let answer = try await relay.send(request, context: context)
        if answer.status == 404, let raw = context.parameters.get("id"),
           let held = try await imports.tasks(raw.removingPercentEncoding ?? raw, request: request, context: context) {
            return held
        }
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }

    /// `DELETE /v2/images/{id}/members/{member}`: removed at home first (Glance decides who may), then a job
    /// removes the member from the image's copies in the pods, which got it when it booted there.
    func removeMember(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let answer = try await relay.send(request, context: context)
        if answer.isSuccess, let id = context.parameters.get("id"), let member = context.parameters.get("member") {
            let payload = ImageMemberRemovalJob.Payload(
                imageID: id.removingPercentEncoding ?? id, memberID: member.removingPercentEncoding ?? member)
            do {
                try await jobs.submit(ImageMemberRemovalJob.self, projectID: try context.requireCaller().projectID, payload: payload)
            } catch {
                // Removed at home already (the top no longer lets the member use the image); the copies still
                // sharing it are named in the log for an operator.
                logger.error("could not queue removal of the member from the image's copies in the pods",
                             metadata: ["image_id": "\(payload.imageID)", "member_id": "\(payload.memberID)", "error": "\(error)"])
            }
        }
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }

    /// `DELETE /v2/images/{id}`: deleted at home first (Glance decides who may), then a job removes the copies.
    /// An image still only in the pod that made it is deleted there.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let answer = try await relay.send(request, context: context)
        if answer.status == 404, let raw = context.parameters.get("id"),
           let deleted = try await imports.delete(raw.removingPercentEncoding ?? raw, request: request, context: context) {
            return deleted
        }
        if answer.isSuccess, let id = context.parameters.get("id") {
            do {
                try await jobs.submit(
                    ImageCopiesDeleteJob.self, projectID: try context.requireCaller().projectID,
                    payload: .init(imageID: id.removingPercentEncoding ?? id))
            } catch {
                // The image is gone at home already; copies left behind are named in the log for an operator.
                logger.error("could not queue removal of the image's copies in the pods",
                             metadata: ["image_id": "\(id)", "error": "\(error)"])
            }
        }
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }
}
