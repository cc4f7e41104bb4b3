import Crypto
import Foundation
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated Cinder and Glance")
struct VolumeImageTests {
    @Test("a volume goes creating -> available, and attaching through Nova marks it in-use")
    func volumeLifecycleWithAttachment() async throws {
        let clock = ManualClock()
        try await withCloud(.testing(transition: .seconds(1), clock: clock)) { cloud, client, tokens in
            let cinder = try cloud.url(.volume)
            let nova = try cloud.url(.compute)
            let created = try await client.send(.POST, cinder + "/volumes", token: tokens.demo, json: ["volume": ["size": 1, "name": "data"]])
            #expect(created.status == 202)
            #expect(created.json["volume"]?["status"] == "creating")
            clock.advance(2)
            #expect(created.json["volume"]?["availability_zone"] == "az1")
            let volumeID = created.json["volume"]?["id"]?.stringValue ?? ""
            func volumeStatus() async throws -> String? {
                try await client.send(.GET, cinder + "/\(tokens.demoProject)/volumes/\(volumeID)", token: tokens.demo)
                    .json["volume"]?["status"]?.stringValue
            }
            try await eventually { try await volumeStatus() == "available" }
            let serverID = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "vm"))
                .json["server"]?["id"]?.stringValue ?? ""
            clock.advance(2)
            try await eventually {
                try await client.send(.GET, nova + "/servers/\(serverID)", token: tokens.demo).json["server"]?["status"] == "ACTIVE"
            }
            let attach = try await client.send(
                .POST, nova + "/servers/\(serverID)/os-volume_attachments", token: tokens.demo,
                json: ["volumeAttachment": ["volumeId": .string(volumeID)]])
            #expect(attach.status == 200)
            #expect(try await volumeStatus() == "in-use")
            #expect(try await client.send(.DELETE, cinder + "/volumes/\(volumeID)", token: tokens.demo).status == 400)
            #expect(try await client.send(.DELETE, nova + "/servers/\(serverID)/os-volume_attachments/\(volumeID)", token: tokens.demo).status == 202)
            #expect(try await volumeStatus() == "available")
            #expect(try await client.send(.GET, cinder + "/volumes/\(volumeID)", token: tokens.altDemo).status == 404)
            let extend = try await client.send(.POST, cinder + "/volumes/\(volumeID)/action", token: tokens.demo, json: ["os-extend": ["new_size": 2]])
            #expect(extend.status == 202)
            #expect(try await volumeStatus() == "extending")
            clock.advance(2)
            #expect(try await volumeStatus() == "available")
        }
    }

    @Test("volume lists page with marker and volumes_links without loss or repeat")
    func volumePaging() async throws {
        try await withCloud { cloud, client, tokens in
            let cinder = try cloud.url(.volume)
            for i in 0..<11 {
                _ = try await client.send(.POST, cinder + "/volumes", token: tokens.demo, json: ["volume": ["size": 1, "name": .string("v\(i)")]])
            }
            var seen: [String] = []
            var url: String? = cinder + "/volumes?limit=4"
            while let next = url {
                let list = try await client.send(.GET, next, token: tokens.demo).json.decode(VolumeList.self)
                seen += list.volumes.map(\.id)
                url = Link.next(in: list.volumesLinks)?.href
            }
            #expect(seen.count == 11)
            #expect(Set(seen).count == 11)
        }
    }

    @Test("snapshot lists sort by the requested keys and page with the marker in that order")
    func snapshotSorting() async throws {
        try await withCloud { cloud, client, tokens in
            let cinder = try cloud.url(.volume)
            let volume = try await client.send(.POST, cinder + "/volumes", token: tokens.demo, json: ["volume": ["size": 1]])
                .json["volume"]?["id"]?.stringValue ?? ""
            try await eventually {
                try await client.send(.GET, cinder + "/volumes/\(volume)", token: tokens.demo).json["volume"]?["status"] == "available"
            }
            for name in ["b", "c", "a"] {
                let made = try await client.send(
                    .POST, cinder + "/snapshots", token: tokens.demo, json: ["snapshot": ["volume_id": .string(volume), "name": .string(name)]])
                #expect(made.status == 202)
            }
            func names(_ query: String, version: String = "3.30") async throws -> [String] {
                try await client.send(.GET, cinder + "/snapshots/detail?" + query, token: tokens.demo,
                                      headers: [("OpenStack-API-Version", "volume \(version)")])
                    .json["snapshots"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            }
            #expect(try await names("sort=name:asc") == ["a", "b", "c"])
            #expect(try await names("sort_key=name&sort_dir=desc&limit=2") == ["c", "b"])
            // Before 3.30 (SNAPSHOT_SORT) Cinder sorts snapshots by its column `display_name` only.
            #expect(try await names("sort_key=display_name&sort_dir=asc", version: "3.0") == ["a", "b", "c"])
            let early = try await client.send(.GET, cinder + "/snapshots?sort=name:asc", token: tokens.demo,
                                              headers: [("OpenStack-API-Version", "volume 3.29")])
            #expect(early.status == 400)
            #expect(try await names("") == ["a", "c", "b"])
            #expect(try await client.send(.GET, cinder + "/snapshots?sort=colour:asc", token: tokens.demo).status == 400)
        }
    }

    @Test("image upload computes checksum, sha512 and size; download streams the same bytes")
    func imageUploadDownloadChecksums() async throws {
        try await withCloud { cloud, client, tokens in
            let glance = try cloud.url(.image)
            let created = try await client.send(
                .POST, glance + "/v2/images", token: tokens.demo,
                json: ["name": "blob", "disk_format": "raw", "container_format": "bare", "custom": "yes"])
            #expect(created.status == 201)
            #expect(created.json["status"] == "queued")
            let id = created.json["id"]?.stringValue ?? ""
            let data = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(try await client.send(.PUT, glance + "/v2/images/\(id)/file", token: tokens.demo, bytes: data).status == 204)
            let image = try await client.send(.GET, glance + "/v2/images/\(id)", token: tokens.demo).json.decode(Image.self)
            #expect(image.status == "active")
            #expect(image.size == data.count)
            #expect(image.checksum == Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined())
            #expect(image.hashAlgorithm == "sha512")
            #expect(image.hashValue == SHA512.hash(data: data).map { String(format: "%02x", $0) }.joined())
            #expect(image.properties["custom"] == "yes")
            let download = try await client.send(.GET, glance + "/v2/images/\(id)/file", token: tokens.demo)
            #expect(download.body == data)
            #expect(try await client.send(.PUT, glance + "/v2/images/\(id)/file", token: tokens.demo, bytes: [1]).status == 409)
            #expect(try await client.send(.GET, glance + "/v2/images/\(id)", token: tokens.altDemo).status == 404)
        }
    }

    @Test("images update by JSON patch and page with next links")
    func imagePatchAndPaging() async throws {
        try await withCloud { cloud, client, tokens in
            let glance = try cloud.url(.image)
            var ids: [String] = []
            for i in 0..<7 {
                ids.append(try await client.send(.POST, glance + "/v2/images", token: tokens.demo, json: ["name": .string("img\(i)")]).json["id"]?.stringValue ?? "")
            }
            let patched = try await client.send(
                .PATCH, glance + "/v2/images/\(ids[0])", token: tokens.demo,
                json: [["op": "replace", "path": "/name", "value": "renamed"], ["op": "add", "path": "/os_distro", "value": "cirros"]],
                headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")])
            #expect(patched.status == 200)
            #expect(patched.json["name"] == "renamed")
            #expect(patched.json["os_distro"] == "cirros")
            let readOnly = try await client.send(
                .PATCH, glance + "/v2/images/\(ids[0])", token: tokens.demo, json: [["op": "replace", "path": "/status", "value": "active"]],
                headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")])
            #expect(readOnly.status == 403)
            var seen: [String] = []
            var next: String? = "/v2/images?limit=3"
            while let path = next {
                let list = try await client.send(.GET, glance + path, token: tokens.demo).json.decode(ImageList.self)
                seen += list.images.map(\.id)
                next = list.next
            }
            // The demo project's 7 images plus the seeded public cirros.
            #expect(seen.count == 8)
            #expect(Set(seen).count == 8)
            let missing = try await client.send(.GET, glance + "/v2/images/\(UUID().uuidString.lowercased())", token: tokens.demo)
            #expect(missing.status == 404)
            #expect(missing.json["code"] == "404 Not Found")
        }
    }
}
