import Crypto
import Foundation
import OpenStackModels
import RegionSimulator
import Testing

/// Images the region's own services write into its Glance: Nova's createImage and Cinder's upload.
@Suite("Simulated snapshots and volume uploads land in Glance with data")
struct ServiceImageTests {
    static func md5(_ bytes: [UInt8]) -> String {
        Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The image as `token` sees it, once its status is `active`, and its data.
    static func activeImage(_ glance: String, _ id: String, client: SimHTTPClient, token: String) async throws -> (Image, [UInt8]) {
        let shown = try await client.send(.GET, glance + "/v2/images/\(id)", token: token)
        #expect(shown.status == 200)
        let image = try shown.json.decode(Image.self)
        let data = try await client.send(.GET, glance + "/v2/images/\(id)/file", token: token)
        #expect(data.status == 200)
        return (image, data.body)
    }

    @Test("createImage: queued without data, then active with data whose size and checksum Glance reports")
    func snapshotHasData() async throws {
        let clock = ManualClock()
        try await withCloud(.testing(transition: .seconds(1), clock: clock)) { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let glance = try cloud.url(.image)
            let serverID = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "vm"))
                .json["server"]?["id"]?.stringValue ?? ""
            clock.advance(2)
            let snapshot = try await client.send(
                .POST, nova + "/servers/\(serverID)/action", token: tokens.demo, json: ["createImage": ["name": "snap", "metadata": ["color": "red"]]],
                headers: [("OpenStack-API-Version", "compute 2.45")])
            #expect(snapshot.status == 202)
            let imageID = try #require(snapshot.json["image_id"]?.stringValue)
            let queued = try await client.send(.GET, glance + "/v2/images/\(imageID)", token: tokens.demo).json.decode(Image.self)
            #expect(queued.status == "queued")
            #expect(queued.checksum == nil)
            #expect(try await client.send(.GET, glance + "/v2/images/\(imageID)/file", token: tokens.demo).status == 204)
            clock.advance(2)
            let (image, data) = try await Self.activeImage(glance, imageID, client: client, token: tokens.demo)
            #expect(image.status == "active")
            #expect(image.properties["color"] == "red")
            #expect(image.properties["instance_uuid"] == serverID)
            #expect(data.count > 65_536)
            #expect(image.size == data.count)
            #expect(image.checksum == Self.md5(data))
            #expect(image.hashAlgorithm == "sha512")
            #expect(image.hashValue == SHA512.hash(data: data).map { String(format: "%02x", $0) }.joined())
            // Before 2.45 the id comes in the Location header.
            let older = try await client.send(
                .POST, nova + "/servers/\(serverID)/action", token: tokens.demo, json: ["createImage": ["name": "snap2"]])
            #expect(older.status == 202)
            let location = try #require(older.header("Location"))
            #expect(location.contains("/images/"))
            let olderID = try #require(location.split(separator: "/").last.map(String.init))
            #expect(try await client.send(.GET, glance + "/v2/images/\(olderID)", token: tokens.demo).json["name"]?.stringValue == "snap2")
        }
    }

    @Test("os-volume_upload_image: the volume is uploading, the image queued, then both settle; the image has data")
    func volumeUploadHasData() async throws {
        let clock = ManualClock()
        try await withCloud(.testing(transition: .seconds(1), clock: clock)) { cloud, client, tokens in
            let cinder = try cloud.url(.volume)
            let glance = try cloud.url(.image)
            let volumeID = try await client.send(.POST, cinder + "/volumes", token: tokens.demo, json: ["volume": ["size": 1, "name": "v"]])
                .json["volume"]?["id"]?.stringValue ?? ""
            clock.advance(2)
            let missingName = try await client.send(
                .POST, cinder + "/volumes/\(volumeID)/action", token: tokens.demo, json: ["os-volume_upload_image": ["disk_format": "raw"]])
            #expect(missingName.status == 400)
            let upload = try await client.send(
                .POST, cinder + "/volumes/\(volumeID)/action", token: tokens.demo,
                json: ["os-volume_upload_image": ["image_name": "from-volume", "disk_format": "qcow2", "container_format": "bare"]])
            #expect(upload.status == 202)
            let answer = upload.json["os-volume_upload_image"]
            #expect(answer?["status"]?.stringValue == "uploading")
            #expect(answer?["disk_format"]?.stringValue == "qcow2")
            let imageID = try #require(answer?["image_id"]?.stringValue)
            let volume = try await client.send(.GET, cinder + "/volumes/\(volumeID)", token: tokens.demo)
            #expect(volume.json["volume"]?["status"]?.stringValue == "uploading")
            let queued = try await client.send(.GET, glance + "/v2/images/\(imageID)", token: tokens.demo).json.decode(Image.self)
            #expect(queued.status == "queued")
            // A second upload while the first runs is refused, as Cinder does.
            let busy = try await client.send(
                .POST, cinder + "/volumes/\(volumeID)/action", token: tokens.demo, json: ["os-volume_upload_image": ["image_name": "again"]])
            #expect(busy.status == 400)
            clock.advance(2)
            let (image, data) = try await Self.activeImage(glance, imageID, client: client, token: tokens.demo)
            #expect(image.status == "active")
            #expect(image.name == "from-volume")
            #expect(image.diskFormat == "qcow2")
            #expect(image.owner == tokens.demoProject)
            #expect(!data.isEmpty)
            #expect(image.size == data.count)
            #expect(image.checksum == Self.md5(data))
            let settled = try await client.send(.GET, cinder + "/volumes/\(volumeID)", token: tokens.demo)
            #expect(settled.json["volume"]?["status"]?.stringValue == "available")
        }
    }
}
