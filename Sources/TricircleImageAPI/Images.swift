import Foundation
import Hummingbird
import Logging
import TricircleGateway
import TricircleJobs

/// `/v2/images` and everything under one image (tags, actions, members, import), schemas and info:
/// relayed to the home Glance. Deleting an image also queues the removal of its copies in the pods.
struct Images: Sendable {
    let relay: ImageRelay
    let jobs: JobEngine
    let logger: Logger

    /// Relays as is.
    func forward(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await relay.relay(request, context: context)
    }

    /// `DELETE /v2/images/{id}`: deleted at home first (Glance decides who may), then a job removes the copies.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let answer = try await relay.send(request, context: context)
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
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request))
    }
}
