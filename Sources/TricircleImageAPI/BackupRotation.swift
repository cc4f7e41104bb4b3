import Foundation
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs

/// Nova's `createBackup` rotation, mirrored at the top. A server's backups are made in its pod's Glance and
/// imported into the home Glance; the pod's Nova then keeps only the `rotation` newest of that server's
/// backups of that type, deleting the older ones in the pod's Glance only. When a backup has been
/// imported, the older backups of the same server and type that were made in the same pod and are gone
/// there are deleted at home too (their copies in other pods by `image_copies_delete`), so the top lists
/// what Nova left. The rotation number is never known to the top: the pod's own rotation decides.
struct BackupRotation: Sendable {
    let home: HomeImageService

    /// After `backup` (made in `pod`) was imported: deletes at home what the pod's rotation removed.
    /// Returns the ids deleted.
    func mirror(_ backup: Image, from pod: Pod, homeRegion: String, credentials: ServiceCredentials) async throws -> [String] {
        guard backup.string("image_type") == "backup",
              let server = backup.string("instance_uuid"), let kind = backup.string("backup_type")
        else { return [] }
        var query = [
            URLQueryItem(name: "image_type", value: "backup"), URLQueryItem(name: "backup_type", value: kind),
            URLQueryItem(name: "instance_uuid", value: server), URLQueryItem(name: "limit", value: "1000"),
        ]
        if let owner = backup.owner { query.append(URLQueryItem(name: "owner", value: owner)) }
        let listed = try await home.send(.get("/v2/images", query: query), credentials: credentials).requireSuccess()
        let images = (try? JSONValue(data: listed.data))?["images"]?.arrayValue ?? []
        var deleted: [String] = []
        for id in images.compactMap({ $0["id"]?.stringValue }) where id != backup.id {
            // Only backups this pod made (its routing row: top id = pod id) are the pod's to rotate.
            let rows = try await home.routing.routings.lookup(topID: id, resourceType: .image, projectID: nil)
            guard rows.contains(where: { $0.podID == pod.podID && $0.bottomID == id }),
                  try await home.image(id, credentials: credentials, region: pod.regionName) == nil
            else { continue }
            guard try await home.deleteImage(id, credentials: credentials, region: homeRegion) else { continue }
            deleted.append(id)
            _ = try await home.jobs.submit(
                ImageCopiesDeleteJob.self, projectID: backup.owner ?? "", payload: .init(imageID: id))
        }
        return deleted
    }
}
