import Foundation
import OpenStackClient
import TricircleCore
import TricircleGateway
import TricircleJobs

/// `image_copies_delete`: after a top image was deleted, removes its copies from every pod (in parallel)
/// and forgets their routing rows. Safe to repeat: a copy already gone counts as removed.
public struct ImageCopiesDeleteJob: JobHandler {
    /// The deleted top image.
    public struct Payload: Codable, Sendable, Hashable {
        public var imageID: String

        public init(imageID: String) { self.imageID = imageID }

        enum CodingKeys: String, CodingKey { case imageID = "image_id" }
    }

    public static let type = "image_copies_delete"
    public static let resourceKeys = ["image_id"]

    let home: HomeImageService

    public func run(_ payload: Payload, context: JobContext) async throws {
        let credentials = try await home.serviceCredentials()
        if try await home.image(payload.imageID, credentials: credentials) != nil {
            // Only ever runs for an image deleted at home; one that still exists keeps its copies.
            throw PermanentJobFailure("image \(payload.imageID) still exists in the home image service; its copies are kept")
        }
        let rows = try await home.routing.routings.lookup(topID: payload.imageID, resourceType: .image, projectID: nil)
        let home = home
        let failures = try await Fanout.all(rows) { row -> String? in
            // A create-lock: that copy is still running and removes itself when it sees the image gone.
            guard let bottomID = row.bottomID, !bottomID.isEmpty else { return nil }
            guard let pod = try await home.pods.pod(id: row.podID) else {
                _ = try await home.routing.routings.delete(row.id)
                return nil
            }
            do {
                try await home.deleteImage(bottomID, credentials: credentials, region: pod.regionName)
                _ = try await home.routing.routings.delete(row.id)
                return nil
            } catch {
                return "\(pod.regionName): \(error)"
            }
        }.compactMap { $0 }
        home.routing.invalidate(topID: payload.imageID, type: .image)
        try await context.progress(done: Int64(rows.count - failures.count), total: Int64(rows.count), note: "copies removed")
        if !failures.isEmpty {
            // Retried with backoff: the rows of the copies not yet removed are still there.
            throw ImageCopyError("could not remove every copy of image \(payload.imageID): " + failures.joined(separator: "; "))
        }
    }
}
