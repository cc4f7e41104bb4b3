import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs

/// `image_import`: makes an image a region's own service made (Nova's createImage, Cinder's upload of a
/// volume to an image) an image of the top under the same id. Waits until the pod's Glance has it
/// `active`, creates it in the home Glance with the same id, name, properties, formats, visibility and
/// owner, streams the data from the pod to the home Glance (never whole in memory), checks that the
/// home's checksum and os_hash_value equal the pod's (and what passed through), and from then on the pod's
/// image is that pod's copy (its routing row stays, so a boot there reuses it). A server backup's import
/// then mirrors the pod's backup rotation at the top (`BackupRotation`).
///
/// The pod is the one the routing row (top id = pod id) names; one job per image
/// (coalesced). Ends without work when the row is gone (deleted at the top). The pod's image ending
/// `killed`/`deleted` (or gone) fails the job for good and removes the row; the home Glance refusing the
/// image (quota, policy: a 4xx) fails it for good too, named in `tricircle job show`.
public struct ImageImportJob: JobHandler {
    /// The image (same id in the pod and at the top).
    public struct Payload: Codable, Sendable, Hashable {
        public var imageID: String

        public init(imageID: String) { self.imageID = imageID }

        enum CodingKeys: String, CodingKey { case imageID = "image_id" }
    }

    public static let type = "image_import"
    public static let resourceKeys = ["image_id"]

    let home: HomeImageService
    /// Longest one run waits for the pod to finish writing the image; then the run fails and is retried.
    let maxWait: Duration

    init(home: HomeImageService, maxWait: Duration = .seconds(3600)) {
        self.home = home
        self.maxWait = maxWait
    }

    public func run(_ payload: Payload, context: JobContext) async throws {
        guard let homeRegion = home.region else {
            throw PermanentJobFailure("no home image service is configured ([image] home_region)")
        }
        let imports = ImageImports(home: home)
        guard let held = try await imports.heldInPod(payload.imageID, fresh: true) else {
            try await context.progress(done: 0, total: 0, note: "image \(payload.imageID) is not waiting for an import (deleted at the top?): nothing to do")
            return
        }
        let (row, pod) = (held.row, held.pod)
        let credentials = try await home.serviceCredentials()
        let source = try await waitUntilActive(payload.imageID, in: pod, credentials: credentials, context: context) {
            // The pod's image failed or went away: the top must forget it too.
            _ = try await home.routing.routings.delete(row.id)
            home.routing.invalidate(topID: payload.imageID, type: .image)
        }
        let importer = ImageImporter(home: home, source: source, pod: pod, homeRegion: homeRegion, credentials: credentials, context: context)
        if let present = try await home.image(source.id, credentials: credentials) {
            let problem = importer.copier.mismatch(present)
            if problem == nil {
                try await context.progress(done: Int64(source.size ?? 0), total: Int64(source.size ?? 0),
                                           note: "already imported into \(homeRegion)")
                return
            }
            guard ["queued", "saving", "killed"].contains(present.status ?? "") else {
                throw PermanentJobFailure("an image \(source.id) already exists in \(homeRegion) and differs from \(pod.regionName)'s: \(problem ?? "")")
            }
            // Half made by an interrupted run (only one run per image at a time): made again.
            try await home.deleteImage(source.id, credentials: credentials, region: homeRegion)
        }
        try await importer.importImage()
        try await context.progress(done: Int64(source.size ?? 0), total: Int64(source.size ?? 0),
                                   note: "imported from \(pod.regionName) into \(homeRegion): checksum and os_hash_value match")
        context.logger.info("image imported", metadata: [
            "image_id": "\(source.id)", "from": "\(pod.regionName)", "bytes": "\(source.size ?? 0)",
        ])
        // A server backup: the older backups the pod's Nova rotated out go at the top too. The import
        // itself has succeeded whatever this does (a rerun would find it done and not rotate again).
        do {
            let rotated = try await BackupRotation(home: home)
                .mirror(source, from: pod, homeRegion: homeRegion, credentials: credentials)
            if !rotated.isEmpty {
                try await context.progress(done: Int64(source.size ?? 0), total: Int64(source.size ?? 0),
                                           note: "imported; backups rotated out in \(pod.regionName) deleted at the top: \(rotated.joined(separator: ", "))")
            }
        } catch {
            context.logger.warning("backup rotation not mirrored at the top", metadata: ["image_id": "\(source.id)", "error": "\(error)"])
        }
    }

    /// Polls the pod's image until it is active (returned). Killed, deleted or gone: `forget` runs and the
    /// job fails for good. Renews the lease on every poll.
    private func waitUntilActive(
        _ id: String, in pod: Pod, credentials: ServiceCredentials, context: JobContext,
        forget: @Sendable () async throws -> Void
    ) async throws -> Image {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maxWait)
        var pause = Duration.milliseconds(20)
        while true {
            let image = try await home.image(id, credentials: credentials, region: pod.regionName)
            switch image?.status {
            case "active"?:
                guard let image, ImageImports.hasData(image) else {
                    // A volume-backed server's snapshot: no data, only references to volume snapshots in that
                    // region, so it cannot exist anywhere else. The top keeps showing it from there.
                    throw PermanentJobFailure("image \(id) is active in \(pod.regionName) without data (a volume-backed snapshot?): it stays an image of \(pod.regionName) only")
                }
                return image
            case nil, "killed"?, "deleted"?, "pending_delete"?:
                try await forget()
                throw PermanentJobFailure("image \(id) is \(image?.status ?? "gone") in \(pod.regionName): nothing to import; the top forgot it")
            case let status?:
                guard clock.now < deadline else {
                    throw ImageCopyError("image \(id) is still \(status) in \(pod.regionName) after \(maxWait); the import is retried later")
                }
                try await context.progress(done: 0, total: 0, note: "waiting for \(pod.regionName) to finish the image (\(status))")
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}

/// One import of one pod image into the home Glance.
struct ImageImporter: Sendable {
    let home: HomeImageService
    /// The pod's image, active.
    let source: Image
    let pod: Pod
    let homeRegion: String
    let credentials: ServiceCredentials
    let context: JobContext

    /// Compares a home image with the pod's (the copy job's checks, the other way round).
    var copier: ImageCopier {
        ImageCopier(home: home, source: source, pod: pod, credentials: credentials, context: context)
    }

    /// Creates, fills and verifies the home image; anything half-made at home is deleted before throwing.
    func importImage() async throws {
        try await create()
        do {
            try await context.progress(done: 0, total: Int64(source.size ?? 0), note: "created in \(homeRegion), copying from \(pod.regionName)")
            try await transfer()
            guard let imported = try await home.image(source.id, credentials: credentials) else {
                throw ImageCopyError("image \(source.id) disappeared from \(homeRegion) before it was verified")
            }
            if let problem = copier.mismatch(imported) {
                throw ImageCopyError("the image imported into \(homeRegion) differs from \(pod.regionName)'s: \(problem); it was deleted")
            }
            // Deleted at the top (in the pod) while we copied: the import must not outlive it.
            guard try await home.image(source.id, credentials: credentials, region: pod.regionName) != nil else {
                throw PermanentJobFailure("image \(source.id) was deleted from \(pod.regionName) during the import")
            }
            if source.protected == true { try await protect() }
        } catch {
            _ = try? await home.deleteImage(source.id, credentials: credentials, region: homeRegion)
            throw error
        }
    }

    private func create() async throws {
        var object = source.object.filter { !ImageCopier.notCopied.contains($0.key) && !$0.key.hasPrefix("os_glance") }
        // Same id as in the pod: clients already hold it. Protected only once complete (else a failed
        // import could not be cleaned up).
        object["id"] = .string(source.id)
        let request = try RegionalRequest.json("POST", "/v2/images", body: JSONValue.object(object))
        let answer = try await home.send(request, credentials: credentials)
        guard answer.isSuccess else {
            let reason = "\(homeRegion) refused to create image \(source.id): \(answer.status) \(String(buffer: answer.body).prefix(300))"
            // A 4xx is the home Glance's decision (quota, policy, an id it will not take): retrying changes nothing.
            if (400..<500).contains(answer.status), answer.status != 409 { throw PermanentJobFailure(reason) }
            throw ImageCopyError(reason)
        }
    }

    private func transfer() async throws {
        let path = "/v2/images/\(HomeImageService.escape(source.id))/file"
        try await ImageDataTransfer(home: home, credentials: credentials, context: context).run(
            source: source, from: (path, pod.regionName), to: (path, nil), sourceName: pod.regionName,
            progress: ("importing from \(pod.regionName)", "imported from \(pod.regionName), verifying"), refusalIsPermanent: true)
    }

    private func protect() async throws {
        let patch: JSONValue = [["op": "replace", "path": "/protected", "value": true]]
        var request = RegionalRequest(method: "PATCH", path: "/v2/images/\(HomeImageService.escape(source.id))")
        request.body = .bytes(ByteBuffer(data: patch.encoded()), contentType: "application/openstack-images-v2.1-json-patch")
        try await home.send(request, credentials: credentials).requireSuccess()
    }
}
