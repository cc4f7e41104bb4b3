import Foundation
import OpenStackClient
import TricircleCore
import TricircleGateway
import TricircleJobs

/// `image_member_remove`: after a member was removed from a top image, removes it from every pod copy of
/// that image too (in parallel). A copy gets the member when the member boots there (`shareCopy`); left
/// there, the pod's Glance would go on showing the copy to a project the owner no longer shares with.
/// Retried with backoff while a pod does not answer; a copy without the member (404) counts as done.
public struct ImageMemberRemovalJob: JobHandler {
    /// The top image and the project removed from its members.
    public struct Payload: Codable, Sendable, Hashable {
        public var imageID: String
        public var memberID: String

        public init(imageID: String, memberID: String) {
            self.imageID = imageID
            self.memberID = memberID
        }

        enum CodingKeys: String, CodingKey {
            case imageID = "image_id"
            case memberID = "member_id"
        }
    }

    public static let type = "image_member_remove"
    public static let resourceKeys = ["image_id", "member_id"]

    let home: HomeImageService

    public func run(_ payload: Payload, context: JobContext) async throws {
        let credentials = try await home.serviceCredentials()
        let member = "/v2/images/\(HomeImageService.escape(payload.imageID))/members/\(HomeImageService.escape(payload.memberID))"
        // Shared with it again since: the copies may keep (or get back) the member.
        if try await home.send(.get(member), credentials: credentials).status == 200 {
            try await context.progress(done: 0, total: 0, note: "\(payload.memberID) is a member of image \(payload.imageID) again: copies left as they are")
            return
        }
        let homeRegion = try home.homeRegion()
        let rows = try await home.routing.routings.lookup(topID: payload.imageID, resourceType: .image, projectID: nil)
        let home = home
        let outcomes = try await Fanout.all(rows) { row -> String? in
            // A create-lock (a copy still being made) has nothing to share yet; the home's own image is done.
            guard let bottomID = row.bottomID, !bottomID.isEmpty,
                  let pod = try await home.pods.pod(id: row.podID), pod.regionName != homeRegion
            else { return nil }
            do {
                let path = "/v2/images/\(HomeImageService.escape(bottomID))/members/\(HomeImageService.escape(payload.memberID))"
                let answer = try await home.send(.delete(path), credentials: credentials, region: pod.regionName)
                guard answer.isSuccess || answer.status == 404 else {
                    return "\(pod.regionName): Glance answered \(answer.status) \(String(buffer: answer.body).prefix(200))"
                }
                return nil
            } catch {
                return "\(pod.regionName): \(error)"
            }
        }
        let failures = outcomes.compactMap { $0 }
        try await context.progress(done: Int64(rows.count - failures.count), total: Int64(rows.count),
                                   note: "\(payload.memberID) removed from the copies of image \(payload.imageID)")
        if !failures.isEmpty {
            throw ImageCopyError("could not remove member \(payload.memberID) from every copy of image \(payload.imageID): "
                + failures.joined(separator: "; "))
        }
    }
}
