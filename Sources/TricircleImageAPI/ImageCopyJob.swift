import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleJobs

/// `image_copy`: makes one top image present in one pod. Streams the data from the home Glance into a
/// new image in the pod's Glance (same properties, formats, visibility and owner; made with the gateway's
/// service token, which is admin there), reports bytes done/total, checks that the pod's checksum and
/// os_hash_value equal the source's (and what passed through), then records the routing row (top id ->
/// pod image id) so boots find it. Safe to repeat: a present, verified copy is kept; a half-made one from
/// an interrupted run is deleted and made again.
///
/// Push an image ahead of time (admin): `tricircle job create --type image_copy --project-id <project>
/// --resource image_id=<top image id> --resource pod_id=<pod id from tricircle pod list>`; progress and the
/// verification outcome show in `tricircle job show <job id>`.
public struct ImageCopyJob: JobHandler {
    /// The image (top id = home Glance id) and the pod to copy it to.
    public struct Payload: Codable, Sendable, Hashable {
        public var imageID: String
        public var podID: String

        public init(imageID: String, podID: String) {
            self.imageID = imageID
            self.podID = podID
        }

        enum CodingKeys: String, CodingKey {
            case imageID = "image_id"
            case podID = "pod_id"
        }
    }

    public static let type = "image_copy"
    public static let resourceKeys = ["image_id", "pod_id"]
    /// The property a pod copy carries naming its top image (finds copies an interrupted run left behind).
    public static let topIDProperty = "tricircle_top_id"

    let home: HomeImageService

    public func run(_ payload: Payload, context: JobContext) async throws {
        guard let pod = try await home.pods.pod(id: payload.podID) else {
            throw PermanentJobFailure("pod \(payload.podID) is not registered")
        }
        guard let homeRegion = home.region else {
            throw PermanentJobFailure("no home image service is configured ([image] home_region)")
        }
        if pod.regionName == homeRegion {
            try await context.progress(done: 0, total: 0, note: "\(homeRegion) is the home image service: nothing to copy")
            return
        }
        let credentials = try await home.serviceCredentials()
        guard let source = try await home.image(payload.imageID, credentials: credentials) else {
            throw PermanentJobFailure("image \(payload.imageID) does not exist in the home image service (\(homeRegion))")
        }
        guard source.status == "active", source.checksum != nil || source.hashValue != nil else {
            throw PermanentJobFailure("image \(payload.imageID) is \(source.status ?? "without status") in \(homeRegion): only active images with data can be copied")
        }
        let copier = ImageCopier(
            home: home, source: source, pod: pod, credentials: credentials, context: context)
        let routing = home.routing
        if let row = try await routing.resolve(topID: source.id, type: .image, podID: pod.podID, projectID: nil),
           let bottomID = row.bottomID {
            if try await copier.verifiedCopy(bottomID) != nil {
                try await context.progress(done: Int64(source.size ?? 0), total: Int64(source.size ?? 0),
                                           note: "already present in \(pod.regionName) as \(bottomID)")
                return
            }
            // The copy was removed or changed in the pod behind our back: forget it and copy again.
            _ = try await routing.routings.delete(row.id)
            routing.invalidate(topID: source.id, type: .image)
        }
        let bottomID = try await routing.ensure(
            topID: source.id, type: .image, podID: pod.podID, projectID: source.owner ?? context.job.projectID,
            patience: .seconds(60),
            findExisting: { try await copier.adoptLeftover() },
            create: { try await copier.copy() })
        try await context.progress(done: Int64(source.size ?? 0), total: Int64(source.size ?? 0),
                                   note: "copy \(bottomID) in \(pod.regionName) verified: checksum and os_hash_value match")
        home.metrics.imageCopied(region: pod.regionName, bytes: Int64(source.size ?? 0))
        context.logger.info("image copied", metadata: [
            "image_id": "\(source.id)", "region": "\(pod.regionName)", "bottom_id": "\(bottomID)", "bytes": "\(source.size ?? 0)",
        ])
    }
}

/// Why a copy failed in a way worth retrying.
struct ImageCopyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One copy of one image into one pod.
struct ImageCopier: Sendable {
    let home: HomeImageService
    let source: Image
    let pod: Pod
    let credentials: ServiceCredentials
    let context: JobContext

    /// Core attributes Glance fills itself (or that would keep the gateway from managing the copy).
    static let notCopied: Set<String> = [
        "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size", "created_at", "updated_at",
        "self", "file", "schema", "direct_url", "locations", "stores", "protected",
    ]
    /// Progress is written after this many bytes or this long, whichever comes first (also renews the
    /// job's lease, so a slow copy keeps it), besides at the end.
    static let progressEvery: Int64 = 16 << 20
    static let progressInterval: Duration = .seconds(5)

    /// Copies, verifies and returns the pod's image id; anything half-made is deleted before throwing.
    func copy() async throws -> String {
        try await removeLeftovers()
        let bottomID = try await createInPod()
        do {
            // Also renews the lease before the (long) transfer starts.
            try await context.progress(done: 0, total: Int64(source.size ?? 0), note: "created \(bottomID) in \(pod.regionName), copying")
            try await transfer(into: bottomID)
            try await verify(bottomID)
            // Deleted at the top while we copied: the copy must not outlive it.
            guard try await home.image(source.id, credentials: credentials) != nil else {
                throw PermanentJobFailure("image \(source.id) was deleted from the home image service during the copy")
            }
            return bottomID
        } catch {
            _ = try? await home.deleteImage(bottomID, credentials: credentials, region: pod.regionName)
            throw error
        }
    }

    /// A pod image that is a complete, matching copy, or nil.
    func verifiedCopy(_ bottomID: String) async throws -> Image? {
        guard let copy = try await home.image(bottomID, credentials: credentials, region: pod.regionName) else { return nil }
        return mismatch(copy) == nil ? copy : nil
    }

    /// After a creator died: a complete copy it left is adopted, anything else is removed.
    func adoptLeftover() async throws -> String? {
        for leftover in try await leftovers() {
            if mismatch(leftover) == nil { return leftover.id }
            try await home.deleteImage(leftover.id, credentials: credentials, region: pod.regionName)
        }
        return nil
    }

    /// What differs between a pod image and the source (nil: it is a good copy).
    func mismatch(_ copy: Image) -> String? {
        guard copy.status == "active" else { return "the copy is \(copy.status ?? "without status")" }
        if copy.size != source.size { return "size \(copy.size.map(String.init) ?? "none") differs from the source's \(source.size.map(String.init) ?? "none")" }
        if let expected = source.checksum, copy.checksum != expected {
            return "checksum \(copy.checksum ?? "none") differs from the source's \(expected)"
        }
        if let expected = source.hashValue, copy.hashValue != expected || copy.hashAlgorithm != source.hashAlgorithm {
            return "os_hash_value (\(copy.hashAlgorithm ?? "none")) \(copy.hashValue ?? "none") differs from the source's (\(source.hashAlgorithm ?? "none")) \(expected)"
        }
        return nil
    }

    private func leftovers() async throws -> [Image] {
        let path = "/v2/images?\(ImageCopyJob.topIDProperty)=\(HomeImageService.escape(source.id))&limit=100"
        let answer = try await home.send(.get(path), credentials: credentials, region: pod.regionName)
        return try answer.requireSuccess().decode(ImageList.self).images
    }

    private func removeLeftovers() async throws {
        for leftover in try await leftovers() {
            try await home.deleteImage(leftover.id, credentials: credentials, region: pod.regionName)
        }
    }

    private func createInPod() async throws -> String {
        var object = source.object.filter { !Self.notCopied.contains($0.key) && !$0.key.hasPrefix("os_glance") }
        object[ImageCopyJob.topIDProperty] = .string(source.id)
        let request = try RegionalRequest.json("POST", "/v2/images", body: JSONValue.object(object))
        let answer = try await home.send(request, credentials: credentials, region: pod.regionName)
        guard answer.isSuccess else {
            throw ImageCopyError("creating the image in \(pod.regionName) failed: \(answer.status) \(String(buffer: answer.body).prefix(300))")
        }
        let created = try answer.decode(Image.self)
        guard !created.id.isEmpty else { throw ImageCopyError("\(pod.regionName) answered the image create without an id") }
        return created.id
    }

    private func transfer(into bottomID: String) async throws {
        try await ImageDataTransfer(home: home, credentials: credentials, context: context).run(
            source: source, from: ("/v2/images/\(HomeImageService.escape(source.id))/file", nil),
            to: ("/v2/images/\(HomeImageService.escape(bottomID))/file", pod.regionName),
            sourceName: "the home image service", progress: ("copying to \(pod.regionName)", "copied to \(pod.regionName), verifying"),
            refusalIsPermanent: false)
    }

    private func verify(_ bottomID: String) async throws {
        guard let copy = try await home.image(bottomID, credentials: credentials, region: pod.regionName) else {
            throw ImageCopyError("the copy \(bottomID) disappeared from \(pod.regionName) before it was verified")
        }
        if let problem = mismatch(copy) {
            throw ImageCopyError("the copy of image \(source.id) in \(pod.regionName) is corrupt: \(problem); it was deleted")
        }
    }
}

/// Bytes and digests of the data passing through a copy.
final class TransferTally: Sendable {
    private struct State {
        var bytes: Int64 = 0
        var md5 = Insecure.MD5()
        var sha512 = SHA512()
    }
    private let state = Mutex(State())

    /// Adds a chunk; returns the bytes so far.
    func add(_ chunk: ByteBuffer) -> Int64 {
        state.withLock { state in
            chunk.withUnsafeReadableBytes { bytes in
                state.md5.update(bufferPointer: bytes)
                state.sha512.update(bufferPointer: bytes)
            }
            state.bytes += Int64(chunk.readableBytes)
            return state.bytes
        }
    }

    /// Total bytes and hex digests.
    func finish() -> (bytes: Int64, md5: String, sha512: String) {
        state.withLock { state in
            (state.bytes, Self.hex(state.md5.finalize()), Self.hex(state.sha512.finalize()))
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A response body passed on chunk by chunk while counting and hashing it and reporting progress.
struct CountingBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let tally: TransferTally
    let report: @Sendable (Int64) async throws -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let tally: TransferTally
        let report: @Sendable (Int64) async throws -> Void
        var reported: Int64 = 0
        var reportedAt = ContinuousClock.now

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            let done = tally.add(chunk)
            let now = ContinuousClock.now
            if done - reported >= ImageCopier.progressEvery || now - reportedAt >= ImageCopier.progressInterval {
                reported = done
                reportedAt = now
                try await report(done)
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), tally: tally, report: report)
    }
}

/// Streams an image's data from one Glance to another through the gateway (never whole in memory), with
/// byte progress in the job log, then checks what passed against the source's checksum and os_hash_value.
struct ImageDataTransfer {
    let home: HomeImageService
    let credentials: ServiceCredentials
    let context: JobContext

    /// `from`/`to`: file path and region (nil: the home region). `refusalIsPermanent`: a 4xx (not 409) on
    /// the upload ends the job instead of being retried.
    func run(source: Image, from: (path: String, region: String?), to: (path: String, region: String?), sourceName: String,
             progress: (running: String, done: String), refusalIsPermanent: Bool) async throws {
        let total = Int64(source.size ?? 0)
        let (download, downloadURL) = try await home.stream(
            method: .GET, path: from.path, headers: [("Accept", "application/json")], credentials: credentials, region: from.region)
        guard download.status == .ok else {
            throw ImageCopyError("reading the image data from \(downloadURL) answered \(download.status.code)")
        }
        let tally = TransferTally()
        let context = context
        let counted = CountingBody(base: download.body, tally: tally) { done in
            try await context.progress(done: done, total: total, note: progress.running)
        }
        let length: HTTPClientRequest.Body.Length = total > 0 ? .known(total) : .unknown
        let (upload, uploadURL) = try await home.stream(
            method: .PUT, path: to.path, headers: [("Content-Type", "application/octet-stream"), ("Accept", "application/json")],
            body: .stream(SingleUseBody(counted), length: length), credentials: credentials, region: to.region)
        let answer = try await upload.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(upload.status.code)) else {
            let reason = "uploading to \(uploadURL) answered \(upload.status.code): \(String(buffer: answer).prefix(300))"
            if refusalIsPermanent, (400..<500).contains(Int(upload.status.code)), upload.status.code != 409 { throw PermanentJobFailure(reason) }
            throw ImageCopyError(reason)
        }
        let passed = tally.finish()
        try await context.progress(done: passed.bytes, total: total, note: progress.done)
        // What passed through must be what the source recorded, or the source itself was read wrong.
        if let expected = source.checksum, passed.md5 != expected {
            throw ImageCopyError("the data read from \(sourceName) has MD5 \(passed.md5), its checksum says \(expected)")
        }
        if source.hashAlgorithm == "sha512", let expected = source.hashValue, passed.sha512 != expected {
            throw ImageCopyError("the data read from \(sourceName) has SHA-512 \(passed.sha512), its os_hash_value says \(expected)")
        }
    }
}
