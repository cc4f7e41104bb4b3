import AsyncHTTPClient
import Foundation
import GatewayTestHarness
import NIOCore
import NIOHTTP1
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

@testable import TricircleImageAPI

/// Image data and the copy job through the top Image API, against the harness (home Glance: RegionOne).
@Suite("Image API at the top")
struct ImageAPITests {
    /// Deterministic pseudo-random bytes (no two chunks alike, so a misplaced chunk changes the checksum).
    static func bytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    static func md5(_ data: [UInt8]) -> (md5: String, sha512: String) {
        let tally = TransferTally()
        _ = tally.add(ByteBuffer(bytes: data))
        let digests = tally.finish()
        return (digests.md5, digests.sha512)
    }

    /// Creates an image at the top and uploads `data` through the gateway; returns its id.
    static func uploadImage(_ harness: GatewayHarness, token: String, data: [UInt8], name: String = "img") async throws -> String {
        let base = harness.url("image")
        let created = try await harness.send(
            "POST", base + "/v2/images", token: token,
            body: #"{"name": "\#(name)", "disk_format": "raw", "container_format": "bare", "hw_disk_bus": "scsi"}"#)
        #expect(created.status == 201)
        let id = try #require(created.json["id"]?.stringValue)
        var upload = HTTPClientRequest(url: base + "/v2/images/\(id)/file")
        upload.method = .PUT
        upload.headers.add(name: "X-Auth-Token", value: token)
        upload.headers.add(name: "Content-Type", value: "application/octet-stream")
        // Sent in 64 KiB chunks of unknown total length, as a streaming client does.
        let chunks = stride(from: 0, to: data.count, by: 65_536).map { ByteBuffer(bytes: data[$0..<min($0 + 65_536, data.count)]) }
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        for chunk in chunks { continuation.yield(chunk) }
        continuation.finish()
        upload.body = .stream(stream, length: .unknown)
        let response = try await harness.http.execute(upload, timeout: .seconds(60))
        #expect(response.status == .noContent)
        _ = try await response.body.collect(upTo: 1 << 20)
        return id
    }

    static func provisioner(_ harness: GatewayHarness) throws -> any ImageProvisioning {
        try #require((harness.assembly.frontEnd(.image) as? ImageFrontEnd)?.imageProvisioner)
    }

    static func callContext(_ harness: GatewayHarness, user: String = "demo") throws -> PodCallContext {
        let token = try harness.token(user: user)
        let caller = AuthenticatedCaller(
            token: token.id, userID: token.userID, userName: token.userName, projectID: token.projectID,
            projectName: token.projectName, roles: token.roles, expiresAt: token.expiresAt)
        return PodCallContext(caller: caller, requestID: "req-test")
    }

    /// Images in a region carrying the copy marker of `topID`, as the region's admin sees them.
    static func copies(of topID: String, in region: String, harness: GatewayHarness) async throws -> [Image] {
        let glance = try #require(harness.cloud.endpoint(region: region, service: .image))
        let admin = try harness.token(user: "admin")
        let reply = try await harness.send("GET", glance + "/v2/images?\(ImageCopyJob.topIDProperty)=\(topID)", token: admin.id)
        return try reply.json.decode(ImageList.self).images
    }

    @Test("image.home_region: empty means none; naming the top region is refused at load")
    func homeRegionValidation() throws {
        #expect(try TricircleConfig.defaults().imageHomeRegion == nil)
        #expect(try TricircleConfig.defaults(overrides: ["image.home_region": "RegionOne"]).imageHomeRegion == "RegionOne")
        #expect(throws: ConfigError.self) {
            _ = try TricircleConfig.defaults(overrides: ["client.top_region_name": "Top", "image.home_region": "Top"])
        }
    }

    @Test("a home image endpoint that leads back to the gateway is answered 508, not relayed in a loop")
    func loopIsRefused() async throws {
        try await GatewayHarness.with { harness in
            // Before the gateway first reads the catalog: RegionOne's image endpoint points at the gateway.
            for interface in ["public", "internal", "admin"] {
                harness.cloud.identity.setEndpoint(
                    region: "RegionOne", serviceType: "image", serviceName: "glance", interface: interface, url: harness.url("image"))
            }
            let reply = try await harness.send("GET", harness.url("image") + "/v2/images", token: try harness.token().id)
            #expect(reply.status == 508)
            #expect(reply.json["message"]?.stringValue?.contains("home_region") == true)
        }
    }

    @Test("upload and download round trip through the top, streamed, with the home Glance's checksum")
    func uploadDownloadRoundTrip() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let data = Self.bytes(3 << 20)
            let id = try await Self.uploadImage(harness, token: token, data: data)
            let shown = try await harness.send("GET", harness.url("image") + "/v2/images/\(id)", token: token)
            #expect(shown.status == 200)
            let image = try shown.json.decode(Image.self)
            let digests = Self.md5(data)
            #expect(image.status == "active")
            #expect(image.size == data.count)
            #expect(image.checksum == digests.md5)
            #expect(image.hashValue == digests.sha512)
            #expect(image.properties["hw_disk_bus"] == "scsi")
            let download = try await harness.send("GET", harness.url("image") + "/v2/images/\(id)/file", token: token)
            #expect(download.status == 200)
            #expect(download.header("Content-MD5") == digests.md5)
            #expect(Array(download.body.readableBytesView) == data)
            // It lives in the home Glance (RegionOne) under the same id.
            let home = try #require(harness.cloud.endpoint(region: "RegionOne", service: .image))
            #expect(try await harness.send("GET", home + "/v2/images/\(id)", token: token).status == 200)
        }
    }

    @Test("version documents, list paging with next links, PATCH and tags go to the home Glance")
    func versionsListPatchTags() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let base = harness.url("image")
            let versions = try await harness.send("GET", base + "/versions", token: nil)
            #expect(versions.status == 200)
            let href = versions.json["versions"]?.arrayValue?.first?["links"]?.arrayValue?.first?["href"]?.stringValue
            #expect(href == harness.origin("image") + "/v2/")
            #expect(try await harness.send("GET", base + "/", token: nil).status == 300)
            var ids: Set<String> = []
            for i in 0..<3 {
                let created = try await harness.send("POST", base + "/v2/images", token: token, body: #"{"name": "page\#(i)"}"#)
                ids.insert(try #require(created.json["id"]?.stringValue))
            }
            var seen: [String] = []
            var next: String? = "/v2/images?limit=1&sort_key=name&sort_dir=asc"
            while let path = next {
                let page = try await harness.send("GET", base + path, token: token)
                #expect(page.status == 200)
                let list = try page.json.decode(ImageList.self)
                seen += list.images.map(\.id)
                next = list.next
                #expect(next.map { $0.hasPrefix("/v2/images") || $0.hasPrefix(harness.origin("image")) } ?? true)
                if seen.count > 20 { break }
            }
            #expect(ids.isSubset(of: Set(seen)))
            #expect(Set(seen).count == seen.count)
            let id = try #require(ids.first)
            let patched = try await harness.send(
                "PATCH", base + "/v2/images/\(id)", token: token,
                body: #"[{"op": "replace", "path": "/name", "value": "renamed"}, {"op": "add", "path": "/color", "value": "blue"}]"#,
                headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")])
            #expect(patched.status == 200)
            #expect(patched.json["name"]?.stringValue == "renamed")
            #expect(patched.json["color"]?.stringValue == "blue")
            #expect(try await harness.send("PUT", base + "/v2/images/\(id)/tags/gold", token: token).status == 204)
            let tagged = try await harness.send("GET", base + "/v2/images/\(id)", token: token)
            #expect(tagged.json["tags"]?.arrayValue?.contains(.string("gold")) == true)
            let schema = try await harness.send("GET", base + "/v2/schemas/image", token: token)
            #expect(schema.json["name"]?.stringValue == "image")
        }
    }

    @Test("an unknown image is a 404 in Glance's format; a boot with it is a 400")
    func unknownImage() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let missing = UUID().uuidString.lowercased()
            for path in ["/v2/images/\(missing)", "/v2/images/\(missing)/file"] {
                let reply = try await harness.send("GET", harness.url("image") + path, token: token)
                #expect(reply.status == 404)
                #expect(reply.json["code"]?.stringValue == "404 Not Found")
                #expect(reply.json["title"]?.stringValue == "Not Found")
                #expect(reply.json["message"]?.stringValue?.contains(missing) == true)
            }
            let pod = try await harness.pod("RegionTwo")
            await #expect(throws: APIError.self) {
                _ = try await Self.provisioner(harness).ensureImage(missing, in: pod, context: try Self.callContext(harness))
            }
        }
    }

    @Test("a copy to RegionTwo streams the data, verifies checksum and os_hash, records the routing; delete removes it",
          arguments: TestDatabases.backends)
    func copyVerifiesAndRecords(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let token = try harness.token().id
            let data = Self.bytes(2 << 20, seed: 7)
            let id = try await Self.uploadImage(harness, token: token, data: data, name: "copied")
            let pod = try await harness.pod("RegionTwo")
            let home = try await harness.pod("RegionOne")
            let provisioner = try Self.provisioner(harness)
            let context = try Self.callContext(harness)
            // The home region's pod boots the image itself.
            #expect(try await provisioner.ensureImage(id, in: home, context: context) == id)
            let bottomID = try await provisioner.ensureImage(id, in: pod, context: context)
            let row = try await harness.runtime.routing.resolve(topID: id, type: .image, podID: pod.podID, projectID: nil)
            #expect(row?.bottomID == bottomID)
            let copies = try await Self.copies(of: id, in: "RegionTwo", harness: harness)
            #expect(copies.map(\.id) == [bottomID])
            let copy = try #require(copies.first)
            let digests = Self.md5(data)
            #expect(copy.checksum == digests.md5)
            #expect(copy.hashValue == digests.sha512)
            #expect(copy.name == "copied")
            #expect(copy.owner == context.caller.projectID)
            #expect(copy.diskFormat == "raw")
            #expect(copy.properties["hw_disk_bus"] == "scsi")
            // The job recorded its progress in bytes.
            let jobs = try await harness.runtime.jobs.list(filter: .init(type: ImageCopyJob.type, status: .success))
            #expect(jobs.contains { $0.resource["image_id"] == id && $0.progress.total == Int64(data.count) && $0.progress.done == Int64(data.count) })
            // A second boot finds the recorded copy.
            #expect(try await provisioner.ensureImage(id, in: pod, context: context) == bottomID)

            // Deleting the top image removes the copy (a job) and its routing.
            #expect(try await harness.send("DELETE", harness.url("image") + "/v2/images/\(id)", token: token).status == 204)
            // The pod's copy goes first, then its row: wait for the job to finish both.
            var remaining = copies
            var rows = [row].compactMap { $0 }
            for _ in 0..<200 where !remaining.isEmpty || !rows.isEmpty {
                try await Task.sleep(for: .milliseconds(25))
                remaining = try await Self.copies(of: id, in: "RegionTwo", harness: harness)
                rows = try await harness.runtime.routing.routings.lookup(topID: id, resourceType: .image, projectID: nil)
            }
            #expect(remaining.isEmpty)
            #expect(rows.isEmpty)
        }
    }

    @Test("five concurrent boots of one image in one pod make one copy", arguments: TestDatabases.backends)
    func concurrentEnsureMakesOneCopy(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let token = try harness.token().id
            let id = try await Self.uploadImage(harness, token: token, data: Self.bytes(1 << 20, seed: 9))
            let pod = try await harness.pod("RegionTwo")
            let provisioner = try Self.provisioner(harness)
            let context = try Self.callContext(harness)
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<5 { group.addTask { try await provisioner.ensureImage(id, in: pod, context: context) } }
                var ids: [String] = []
                for try await bottom in group { ids.append(bottom) }
                return ids
            }
            #expect(ids.count == 5)
            #expect(Set(ids).count == 1)
            let copies = try await Self.copies(of: id, in: "RegionTwo", harness: harness)
            #expect(copies.map(\.id) == [ids[0]])
            let rows = try await harness.runtime.routing.routings.lookup(topID: id, resourceType: .image, projectID: nil)
            #expect(rows.count == 1)
        }
    }

    @Test("a corrupted copy fails the job, is deleted, and the boot gets a clear 503")
    func corruptedCopyFails() async throws {
        try await GatewayHarness.with(overrides: ["job.max_attempts": "2"]) { harness in
            let token = try harness.token().id
            let id = try await Self.uploadImage(harness, token: token, data: Self.bytes(256 << 10, seed: 3))
            let pod = try await harness.pod("RegionTwo")
            let store = try #require(harness.cloud.store(region: "RegionTwo"))
            store.corruptNextImageUploads(100)
            let provisioner = try Self.provisioner(harness)
            do {
                _ = try await provisioner.ensureImage(id, in: pod, context: try Self.callContext(harness))
                Issue.record("a corrupted copy was accepted")
            } catch let error as APIError {
                #expect(error.status.code == 503)
                #expect(error.message.contains("corrupt"))
                #expect(error.message.contains("checksum"))
            }
            // Wait for the last attempt to end, then nothing may be left behind.
            for _ in 0..<200 {
                let jobs = try await harness.runtime.jobs.list(filter: .init(type: ImageCopyJob.type))
                if jobs.allSatisfy({ $0.status == .failed && !$0.willRetry }) { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(try await Self.copies(of: id, in: "RegionTwo", harness: harness).isEmpty)
            #expect(try await harness.runtime.routing.resolve(topID: id, type: .image, podID: pod.podID, projectID: nil) == nil)
            // Once the pod stores data faithfully again, the next boot copies successfully.
            store.corruptNextImageUploads(0)
            let bottom = try await provisioner.ensureImage(id, in: pod, context: try Self.callContext(harness))
            #expect(try await Self.copies(of: id, in: "RegionTwo", harness: harness).map(\.id) == [bottom])
        }
    }
}
