import Foundation
import HTTPTypes
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// What a boot uses to have its image in the pod: the pod's id from the routing table when a verified
/// copy exists; otherwise an `image_copy` job is queued (concurrent boots of one image in one pod join the
/// same queued job) and waited for, up to `maxWait`. The home region's pod uses the image itself.
/// Images a pod made itself are recorded here and imported into the home Glance by `image_import`.
public struct ImageProvisioner: ImageProvisioning {
    let home: HomeImageService
    /// Longest a boot waits for a copy before answering 503 (the copy goes on; a later boot finds it).
    let maxWait: Duration

    init(home: HomeImageService, maxWait: Duration = .seconds(600)) {
        self.home = home
        self.maxWait = maxWait
    }

    public func ensureImage(_ imageID: String, in pod: Pod, context: PodCallContext) async throws -> String {
        // No home image service: ids pass through as the pods know them.
        guard let homeRegion = home.region else { return imageID }
        // Every use is authorized first, with the caller's token, in every region and whether or not a copy
        // exists: copies are made by the gateway's service user, so a pod holding one says nothing about
        // who may use it, and the home region's own service may not check either.
        let image = try await visibleImage(imageID, homeRegion: homeRegion, context: context)
        guard pod.regionName != homeRegion else { return imageID }
        if let row = try await home.routing.resolve(topID: imageID, type: .image, podID: pod.podID, projectID: nil),
           let bottomID = row.bottomID {
            try await shareCopy(bottomID, of: image, in: pod, with: context.caller.projectID)
            return bottomID
        }
        guard image.status == "active" else {
            throw APIError(.badRequest, "Image \(imageID) is not active.", format: .fault)
        }
        let job = try await submitCopy(imageID: imageID, pod: pod, projectID: context.caller.projectID)
        try await waitFor(job.id, imageID: imageID, region: pod.regionName)
        guard let row = try await home.routing.resolve(topID: imageID, type: .image, podID: pod.podID, projectID: nil),
              let bottomID = row.bottomID
        else {
            throw APIError(.serviceUnavailable, "Image \(imageID) was copied to \(pod.regionName) but its copy is not recorded; try again.",
                           format: .fault, headers: [.retryAfter: "5"])
        }
        try await shareCopy(bottomID, of: image, in: pod, with: context.caller.projectID)
        return bottomID
    }

    /// A shared image used by a member project (the home Glance just let the caller see it): its copy in the
    /// pod, shared too but without the home's members, gets the caller's project as a member, so the pod's
    /// Nova, which asks its own Glance with the caller's token, finds it. Already a member (409) is fine.
    func shareCopy(_ bottomID: String, of image: Image, in pod: Pod, with projectID: String) async throws {
        guard image.visibility == "shared", let owner = image.owner, owner != projectID else { return }
        let request = try RegionalRequest.json(
            "POST", "/v2/images/\(HomeImageService.escape(bottomID))/members", body: ImageMemberCreate(member: projectID))
        let response = try await home.send(request, credentials: try await home.serviceCredentials(), region: pod.regionName)
        guard response.isSuccess || response.status == 409 else {
            throw APIError(.serviceUnavailable,
                           "Image \(image.id) is shared with project \(projectID), but its copy in \(pod.regionName) could not be shared (Glance answered \(response.status)); try again.",
                           format: .fault, headers: [.retryAfter: "5"])
        }
    }

    /// The `type` of the 400 for an image the caller cannot see, so each API can answer it in its own words.
    public static let notFoundType = "ImageNotFound"

    /// The image as the caller sees it at the top, as the Image API's show decides: in the home Glance, or,
    /// made in a pod and not imported yet, in the Glance of the pod holding it; both asked with the
    /// caller's token. Neither shows it: 400 (type `notFoundType`).
    func visibleImage(_ imageID: String, homeRegion: String, context: PodCallContext) async throws -> Image {
        do {
            if let image = try await home.image(imageID, credentials: context.credentials) { return image }
            if let held = try await ImageImports(home: home).heldInPod(imageID)?.pod,
               let image = try await home.image(imageID, credentials: context.credentials, region: held.regionName) {
                return image
            }
        } catch let error as APIError {
            throw APIError(error.status, error.message, format: .fault, headers: error.headers)
        } catch {
            throw APIError(.serviceUnavailable, "The home image service in \(homeRegion) failed: \(error)", format: .fault)
        }
        throw APIError(.badRequest, "Image \(imageID) could not be found.", format: .fault, type: Self.notFoundType)
    }

    public func imageMadeInPod(_ imageID: String, in pod: Pod, context: PodCallContext) async throws {
        guard let homeRegion = home.region, pod.regionName != homeRegion else { return }
        do {
            try await ImageImports(home: home)
                .record(imageID, in: pod, projectID: context.caller.projectID)
        } catch {
            // The client would get an id the top cannot show: the pod's image goes again (best effort).
            _ = try? await home.deleteImage(imageID, credentials: context.credentials, region: pod.regionName)
            throw APIError(.serviceUnavailable, "Image \(imageID) made in \(pod.regionName) could not be recorded at the top (\(error)); it was deleted, try again.",
                           format: .fault, headers: [.retryAfter: "5"])
        }
    }

    /// Queues (or joins) the copy. A concurrent submitter's queued job can be claimed between our insert
    /// and our read of it, which the engine reports as a conflict: asking again joins the next one.
    private func submitCopy(imageID: String, pod: Pod, projectID: String) async throws -> Job {
        var attempt = 0
        while true {
            do {
                return try await home.jobs.submit(
                    ImageCopyJob.self, projectID: projectID, payload: .init(imageID: imageID, podID: pod.podID))
            } catch StoreError.conflict where attempt < 5 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(10 * attempt))
            }
        }
    }

    /// Polls the job until it succeeded (returns) or failed (503 naming why), at most `maxWait`.
    private func waitFor(_ jobID: String, imageID: String, region: String) async throws {
        let jobs = home.jobs
        let done: Bool? = try await jobs.waitFor(until: .now.advanced(by: maxWait)) {
            let job = try await jobs.get(jobID)
            switch job.status {
            case .success:
                return true
            case .failed:
                throw APIError(
                    .serviceUnavailable,
                    "Copying image \(imageID) to region \(region) failed: \(job.lastError ?? "unknown error")"
                        + (job.willRetry ? " (job \(jobID) will retry)." : " (job \(jobID) gave up)."),
                    format: .fault, headers: [.retryAfter: "30"])
            case .new, .running:
                return nil
            }
        }
        guard done == nil else { return }
        let job = try? await jobs.get(jobID)
        throw APIError(
            .serviceUnavailable,
            "Image \(imageID) is still being copied to region \(region) (job \(jobID), \(job?.progress.done ?? 0) of \(job?.progress.total ?? 0) bytes); try again later.",
            format: .fault, headers: [.retryAfter: "30"])
    }
}
