import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

@testable import TricircleImageAPI

/// Images made in a pod (server snapshots, volume uploads) become top images under the same id, imported
/// into the home Glance (RegionOne) by `image_import` jobs.
@Suite("Images made in a pod become top images")
struct ImageImportTests {
    struct Timeout: Error, CustomStringConvertible { let description: String }

    /// Polls `check` (every 20 ms, at most `attempts` times) until it gives a value.
    static func eventually<T>(_ what: String, attempts: Int = 750, _ check: () async throws -> T?) async throws -> T {
        for _ in 0..<attempts {
            if let value = try await check() { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Timeout(description: "never happened: \(what)")
    }

    /// Boots a server through the top in `az` from the home's seeded image (or `image`), waits for ACTIVE.
    static func boot(_ harness: GatewayHarness, token: String, az: String, image: String? = nil) async throws -> String {
        let seeded = try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)
        let imageRef = image ?? seeded
        let body = #"{"server": {"name": "vm-\#(az)", "flavorRef": "1", "imageRef": "\#(imageRef)", "availability_zone": "\#(az)"}}"#
        let created = try await harness.send("POST", harness.url("compute") + "/servers", token: token, body: body)
        #expect(created.status == 202, "\(created.text)")
        let id = try #require(created.json["server"]?["id"]?.stringValue)
        _ = try await eventually("server \(id) ACTIVE") { () -> Bool? in
            let shown = try await harness.send("GET", harness.url("compute") + "/servers/\(id)", token: token)
            return shown.json["server"]?["status"]?.stringValue == "ACTIVE" ? true : nil
        }
        return id
    }

    /// createImage through the top at 2.45; returns the image id the client got.
    static func snapshot(_ harness: GatewayHarness, token: String, server: String, name: String = "snap") async throws -> String {
        let reply = try await harness.send(
            "POST", harness.url("compute") + "/servers/\(server)/action", token: token,
            body: #"{"createImage": {"name": "\#(name)", "metadata": {"purpose": "test"}}}"#,
            headers: [("OpenStack-API-Version", "compute 2.45")])
        #expect(reply.status == 202, "\(reply.text)")
        return try #require(reply.json["image_id"]?.stringValue)
    }

    static func topImage(_ harness: GatewayHarness, _ id: String, token: String) async throws -> HarnessReply {
        try await harness.send("GET", harness.url("image") + "/v2/images/\(id)", token: token)
    }

    /// Waits until the top shows the image active.
    static func waitActive(_ harness: GatewayHarness, _ id: String, token: String) async throws -> Image {
        try await eventually("image \(id) active at the top") { () -> Image? in
            let reply = try await topImage(harness, id, token: token)
            let image = try? reply.json.decode(Image.self)
            return image?.status == "active" ? image : nil
        }
    }

    static func glance(_ harness: GatewayHarness, _ region: String) throws -> String {
        try #require(harness.cloud.endpoint(region: region, service: .image))
    }

    static func importJobs(_ harness: GatewayHarness, _ id: String) async throws -> [Job] {
        try await harness.runtime.jobs.list(filter: .init(type: ImageImportJob.type)).filter { $0.resource["image_id"] == id }
    }

    static func rows(_ harness: GatewayHarness, _ id: String) async throws -> [ResourceRouting] {
        try await harness.runtime.routing.routings.lookup(topID: id, resourceType: .image, projectID: nil)
    }

    @Test("a snapshot in az2 is a top image at once, becomes active with the pod's data and checksum, boots in az1 and az2, and is deleted everywhere",
          arguments: TestDatabases.backends)
    func snapshotBecomesTopImage(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let user = try harness.token()
            let token = user.id
            let admin = try harness.token(user: "admin").id
            let server = try await Self.boot(harness, token: token, az: "az2")
            let id = try await Self.snapshot(harness, token: token, server: server)

            // Known at the top at once (whatever stage the import is at).
            let first = try await Self.topImage(harness, id, token: token)
            #expect(first.status == 200, "\(first.text)")
            #expect(first.json["id"]?.stringValue == id)
            #expect(first.json["self"]?.stringValue?.contains("/v2/images/\(id)") == true)
            let pod = try await harness.pod("RegionTwo")
            #expect(try await Self.rows(harness, id).map(\.podID) == [pod.podID])

            let image = try await Self.waitActive(harness, id, token: token)
            #expect(image.name == "snap")
            #expect(image.properties["purpose"] == "test")
            #expect(image.properties["instance_uuid"] == server)
            #expect(image.diskFormat == "qcow2")
            #expect(image.owner == user.projectID)
            #expect(image.visibility == "private")
            // The top's data is the pod's data, and so are the checksums.
            let podImage = try await harness.send("GET", try Self.glance(harness, "RegionTwo") + "/v2/images/\(id)", token: token)
                .json.decode(Image.self)
            #expect(image.checksum == podImage.checksum)
            #expect(image.hashValue as String? == podImage.hashValue as String?)
            #expect(image.size == podImage.size)
            let topData = try await harness.send("GET", harness.url("image") + "/v2/images/\(id)/file", token: token)
            let podData = try await harness.send("GET", try Self.glance(harness, "RegionTwo") + "/v2/images/\(id)/file", token: token)
            #expect(topData.status == 200)
            #expect(topData.body.readableBytes > 65_536)
            #expect(topData.body == podData.body)
            #expect(ImageAPITests.md5(Array(topData.body.readableBytesView)).md5 == podImage.checksum)
            // It lives in the home Glance under the same id; the job says what it did.
            #expect(try await harness.send("GET", try Self.glance(harness, "RegionOne") + "/v2/images/\(id)", token: token).status == 200)
            // The job's last words come just after the home image turned active.
            let job = try await Self.eventually("import job done") { () -> Job? in
                try await Self.importJobs(harness, id).first { $0.status != .new && $0.status != .running }
            }
            #expect(job.status == .success)
            #expect(job.progress.total == Int64(image.size ?? -1))
            #expect(job.progress.note?.contains("checksum") == true)

            // A boot in az1 (the home) uses it; a boot in az2 reuses the pod's own image, no copy made.
            _ = try await Self.boot(harness, token: token, az: "az1", image: id)
            _ = try await Self.boot(harness, token: token, az: "az2", image: id)
            let copies = try await harness.runtime.jobs.list(filter: .init(type: ImageCopyJob.type)).filter { $0.resource["image_id"] == id }
            #expect(copies.allSatisfy { $0.status == .success })
            let regionTwo = try await harness.send("GET", try Self.glance(harness, "RegionTwo") + "/v2/images?limit=100", token: admin)
                .json.decode(ImageList.self).images
            #expect(regionTwo.filter { $0.id == id || $0.properties[ImageCopyJob.topIDProperty] == id }.map(\.id) == [id])

            // Delete at the top: gone in both Glances and from the routing table.
            #expect(try await harness.send("DELETE", harness.url("image") + "/v2/images/\(id)", token: token).status == 204)
            _ = try await Self.eventually("image \(id) gone everywhere") { () -> Bool? in
                let home = try await harness.send("GET", try Self.glance(harness, "RegionOne") + "/v2/images/\(id)", token: admin).status
                let there = try await harness.send("GET", try Self.glance(harness, "RegionTwo") + "/v2/images/\(id)", token: admin).status
                let rows = try await Self.rows(harness, id)
                return home == 404 && there == 404 && rows.isEmpty ? true : nil
            }
            #expect(try await Self.topImage(harness, id, token: token).status == 404)
        }
    }

    @Test("a volume in az2 uploaded to an image is a top image that becomes active with the pod's checksum",
          arguments: TestDatabases.backends)
    func volumeUploadBecomesTopImage(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let user = try harness.token()
            let volumes = harness.url("volume", projectID: user.projectID)
            let created = try await harness.send(
                "POST", volumes + "/volumes", token: user.id, body: #"{"volume": {"size": 1, "name": "v", "availability_zone": "az2"}}"#)
            #expect(created.status == 202, "\(created.text)")
            let volume = try #require(created.json["volume"]?["id"]?.stringValue)
            _ = try await Self.eventually("volume available") { () -> Bool? in
                let shown = try await harness.send("GET", volumes + "/volumes/\(volume)", token: user.id)
                return shown.json["volume"]?["status"]?.stringValue == "available" ? true : nil
            }
            let upload = try await harness.send(
                "POST", volumes + "/volumes/\(volume)/action", token: user.id,
                body: #"{"os-volume_upload_image": {"image_name": "from-volume", "disk_format": "raw", "container_format": "bare"}}"#)
            #expect(upload.status == 202, "\(upload.text)")
            let id = try #require(upload.json["os-volume_upload_image"]?["image_id"]?.stringValue)
            #expect(try await Self.topImage(harness, id, token: user.id).status == 200)
            let image = try await Self.waitActive(harness, id, token: user.id)
            #expect(image.name == "from-volume")
            #expect(image.diskFormat == "raw")
            let podImage = try await harness.send("GET", try Self.glance(harness, "RegionTwo") + "/v2/images/\(id)", token: user.id)
                .json.decode(Image.self)
            #expect(image.checksum != nil)
            #expect(image.checksum == podImage.checksum)
            #expect(image.hashValue as String? == podImage.hashValue as String?)
        }
    }

    @Test("the pod's image killed while being written: the import fails for good, the row goes, the top answers 404",
          arguments: TestDatabases.backends)
    func killedInPod(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let token = try harness.token().id
            let server = try await Self.boot(harness, token: token, az: "az2")
            // The snapshot stays queued in RegionTwo until the test decides.
            harness.cloud.setFault(FaultSettings(transitionFactor: 1_000_000), region: "RegionTwo", service: .compute)
            let id = try await Self.snapshot(harness, token: token, server: server)
            let shown = try await Self.topImage(harness, id, token: token)
            #expect(shown.status == 200)
            #expect(shown.json["status"]?.stringValue == "queued")
            let store = try #require(harness.cloud.store(region: "RegionTwo"))
            #expect(store.setImageStatus(id, "killed"))
            let job = try await Self.eventually("import job failed") { () -> Job? in
                try await Self.importJobs(harness, id).first { $0.status == .failed }
            }
            #expect(!job.willRetry)
            #expect(job.lastError?.contains("killed") == true)
            #expect(try await Self.rows(harness, id).isEmpty)
            let gone = try await Self.topImage(harness, id, token: token)
            #expect(gone.status == 404)
            #expect(gone.json["code"]?.stringValue == "404 Not Found")
        }
    }

    @Test("deleting at the top while the pod still writes the image deletes it there and forgets it",
          arguments: TestDatabases.backends)
    func deleteBeforeImport(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let token = try harness.token().id
            let server = try await Self.boot(harness, token: token, az: "az2")
            harness.cloud.setFault(FaultSettings(transitionFactor: 1_000_000), region: "RegionTwo", service: .compute)
            let id = try await Self.snapshot(harness, token: token, server: server)
            // Another project cannot see or delete it.
            let alt = try harness.token(user: "alt_demo").id
            #expect(try await Self.topImage(harness, id, token: alt).status == 404)
            #expect(try await harness.send("DELETE", harness.url("image") + "/v2/images/\(id)", token: alt).status == 404)
            #expect(try await Self.topImage(harness, id, token: token).status == 200)

            #expect(try await harness.send("DELETE", harness.url("image") + "/v2/images/\(id)", token: token).status == 204)
            #expect(try await Self.topImage(harness, id, token: token).status == 404)
            #expect(try await Self.rows(harness, id).isEmpty)
            let admin = try harness.token(user: "admin").id
            #expect(try await harness.send("GET", try Self.glance(harness, "RegionTwo") + "/v2/images/\(id)", token: admin).status == 404)
            // The import job ends without leaving anything at home.
            let job = try await Self.eventually("import job ended") { () -> Job? in
                try await Self.importJobs(harness, id).first { $0.status == .success || ($0.status == .failed && !$0.willRetry) }
            }
            #expect(job.status == .success || job.lastError?.contains("gone") == true)
            #expect(try await harness.send("GET", try Self.glance(harness, "RegionOne") + "/v2/images/\(id)", token: admin).status == 404)
        }
    }

    @Test("the home Glance refusing the image (storage quota) fails the import, visible in the job; nothing half-made stays at home")
    func homeRefuses() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let server = try await Self.boot(harness, token: token, az: "az2")
            let home = try #require(harness.cloud.store(region: "RegionOne"))
            home.limitImageUploads(toBytes: 1000)
            let id = try await Self.snapshot(harness, token: token, server: server)
            let job = try await Self.eventually("import job failed") { () -> Job? in
                try await Self.importJobs(harness, id).first { $0.status == .failed }
            }
            #expect(!job.willRetry)
            #expect(job.lastError?.contains("413") == true)
            #expect(job.lastError?.contains("RegionOne") == true || job.lastError?.contains("quota") == true)
            let admin = try harness.token(user: "admin").id
            #expect(try await harness.send("GET", try Self.glance(harness, "RegionOne") + "/v2/images/\(id)", token: admin).status == 404)
            // The image is still the pod's, shown at the top as not yet usable everywhere.
            let shown = try await Self.topImage(harness, id, token: token)
            #expect(shown.status == 200)
            #expect(shown.json["status"]?.stringValue == "importing")
        }
    }
}
