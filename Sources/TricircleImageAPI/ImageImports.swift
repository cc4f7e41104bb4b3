import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// Images a pod's own services made (a server snapshot, a volume uploaded to an image) outside the home
/// Glance. Each is recorded at once as a routing row whose bottom id is its top id (the pod's id is kept
/// at the top), then an `image_import` job brings it into the home Glance. Until then the top's Image API
/// shows and deletes it in the pod that holds it; afterwards that row marks the pod's copy.
struct ImageImports: Sendable {
    let home: HomeImageService

    /// Glance statuses after which an image will never become active.
    static let dead: Set<String> = ["killed", "deleted", "pending_delete"]

    /// Whether an image carries data the import can copy (a volume-backed snapshot has none).
    static func hasData(_ image: Image) -> Bool {
        image.checksum != nil || image.hashValue != nil
    }

    /// The routing row and pod of an image made in a pod other than the home region, if there is one.
    /// `fresh`: read the table, not the cache (jobs deciding whether the image still exists).
    func heldInPod(_ id: String, fresh: Bool = false) async throws -> (row: ResourceRouting, pod: Pod)? {
        guard let homeRegion = home.region else { return nil }
        let rows = fresh
            ? try await home.routing.routings.lookup(topID: id, resourceType: .image, projectID: nil)
            : try await home.routing.resolve(topID: id, type: .image, projectID: nil)
        for row in rows where row.bottomID == id {
            if let pod = try await home.pods.pod(id: row.podID), pod.regionName != homeRegion { return (row, pod) }
        }
        return nil
    }

    /// Records an image `pod` just made and queues its import. On failure nothing stays recorded.
    func record(_ id: String, in pod: Pod, projectID: String) async throws {
        do {
            try await home.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: projectID, type: .image)
        } catch StoreError.conflict {
            // Recorded already (the same answer seen twice): the import is queued or done.
        }
        var attempt = 0
        while true {
            do {
                try await home.jobs.submit(ImageImportJob.self, projectID: projectID, payload: .init(imageID: id))
                return
            } catch StoreError.conflict where attempt < 5 {
                // A concurrent submitter's queued job was claimed between its insert and our read: join the next.
                attempt += 1
                try await Task.sleep(for: .milliseconds(10 * attempt))
            } catch {
                try? await forget(id, podID: pod.podID)
                throw error
            }
        }
    }

    /// Removes the pod-held row of an image.
    func forget(_ id: String, podID: String) async throws {
        for row in try await home.routing.routings.lookup(topID: id, resourceType: .image, projectID: nil)
        where row.bottomID == id && row.podID == podID {
            _ = try await home.routing.routings.delete(row.id)
        }
        home.routing.invalidate(topID: id, type: .image)
    }

    /// `GET /v2/images/{id}` for an image the home Glance does not have (yet): the pod's answer with the
    /// caller's token (its Glance decides who may see it), links rewritten to the top. Active in the pod
    /// but not yet at home reads `importing`, so clients waiting for `active` can then use it anywhere
    /// (an image without data, which can never be imported, reads as the pod says).
    /// Nil: no pod holds it, or the pod's image is dead or not visible to the caller.
    func show(_ id: String, request: Request, context: GatewayRequestContext) async throws -> Response? {
        guard let pod = try await heldInPod(id)?.pod else { return nil }
        let answer = try await home.send(
            .get("/v2/images/" + HomeImageService.escape(id)), credentials: try context.podCredentials(), region: pod.regionName)
        guard answer.status == 200, var image = try? answer.decode(Image.self), image.id == id else { return nil }
        if Self.dead.contains(image.status ?? "") { return nil }
        if image.status == "active", Self.hasData(image) { image.object["status"] = "importing" }
        var shown = answer
        shown.body = ByteBuffer(data: JSONValue.object(image.object).encoded())
        return PodForwarder.relay(shown, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }

    /// `GET /v2/images/{id}/tasks` for an image the home Glance does not have (yet): the pod's answer with
    /// the caller's token. Nil: no pod holds it.
    func tasks(_ id: String, request: Request, context: GatewayRequestContext) async throws -> Response? {
        guard let pod = try await heldInPod(id)?.pod else { return nil }
        let answer = try await home.send(
            .get("/v2/images/" + HomeImageService.escape(id) + "/tasks"), credentials: try context.podCredentials(), region: pod.regionName)
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }

    /// `DELETE /v2/images/{id}` for an image the home Glance does not have (yet): deleted in its pod with
    /// the caller's token, then forgotten (its import job then ends). Nil: no pod holds it.
    func delete(_ id: String, request: Request, context: GatewayRequestContext) async throws -> Response? {
        guard let held = try await heldInPod(id, fresh: true) else { return nil }
        let (row, pod) = (held.row, held.pod)
        let caller = try context.requireCaller()
        let answer = try await home.send(
            .delete("/v2/images/" + HomeImageService.escape(id)), credentials: try context.podCredentials(), region: pod.regionName)
        // Gone in the pod already, for its owner: nothing left to show either.
        if answer.isSuccess || (answer.status == 404 && caller.projectID == row.projectID) {
            try await forget(id, podID: pod.podID)
        }
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }
}
