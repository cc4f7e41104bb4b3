import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// A volume made from another project's image, snapshot, volume or an unknown backup is refused at the
/// top in Cinder's words, before anything reaches a pod (issue 12, item 2).
@Suite("Volume create references are authorized at the top")
struct VolumeReferenceTests {
    /// A private image of `client`'s project with a little data, through the top's Image API.
    static func privateImage(_ harness: GatewayHarness, _ client: VolumeClient) async throws -> String {
        let images = harness.url("image")
        let created = try await harness.send(
            "POST", images + "/v2/images", token: client.token.id,
            body: #"{"name": "private", "disk_format": "raw", "container_format": "bare", "visibility": "private"}"#)
        guard created.status == 201, let id = created.json["id"]?.stringValue else { throw HarnessError("image: \(created.text)") }
        let upload = try await harness.send(
            "PUT", images + "/v2/images/\(id)/file", token: client.token.id, body: String(repeating: "v", count: 4096),
            headers: [("Content-Type", "application/octet-stream")])
        #expect(upload.status == 204)
        return id
    }

    /// Expects Cinder's fault `key` with `status` and `message`.
    static func refused(_ client: VolumeClient, _ volume: JSONValue, status: Int, key: String, _ message: String,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await client.send("POST", "/volumes", ["volume": volume])
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json[key]?["message"]?.stringValue == message, "\(reply.text)", sourceLocation: sourceLocation)
    }

    /// No volume of `client`'s project in any pod and no routing row for it: nothing was sent.
    static func nothingSent(_ harness: GatewayHarness, _ client: VolumeClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (region, _) in GatewayHarness.bottomRegions {
            let cinder = try #require(harness.cloud.endpoint(region: region, service: .volume))
            let listed = try await harness.send("GET", cinder + "/volumes", token: client.token.id)
            #expect(listed.status == 200, sourceLocation: sourceLocation)
            #expect(listed.json["volumes"]?.arrayValue?.isEmpty == true, "volumes in \(region): \(listed.text)", sourceLocation: sourceLocation)
        }
        let rows = try await harness.runtime.routing.routings.list(filter: RoutingFilter(projectID: client.token.projectID), limit: 100)
        #expect(rows.isEmpty, "routing rows: \(rows)", sourceLocation: sourceLocation)
    }

    @Test("another project's private image is Cinder's 400 in the home region and where a copy exists, under both names", arguments: TestDatabases.backends)
    func privateImageOfAnotherProject(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try VolumeClient(harness)
            let image = try await Self.privateImage(harness, demo)
            // demo's own volume in az2 makes the gateway copy the image there with its service user.
            let mine = try await demo.createVolume(name: "from-image", zone: "az2", extra: ["imageRef": .string(image)])
            try await demo.waitFor("/volumes/\(mine)", member: "volume", status: "available")

            let alt = try VolumeClient(harness, user: "alt_demo")
            let message = "Invalid image identifier or unable to access requested image."
            for zone in ["az1", "az2"] {
                try await Self.refused(alt, ["size": 1, "availability_zone": .string(zone), "imageRef": .string(image)],
                                       status: 400, key: "badRequest", message)
                // Cinder reads image_id as imageRef.
                try await Self.refused(alt, ["size": 1, "availability_zone": .string(zone), "image_id": .string(image)],
                                       status: 400, key: "badRequest", message)
            }
            try await Self.nothingSent(harness, alt)
            // The owner still may, in the home region too.
            let home = try await demo.createVolume(name: "home", zone: "az1", extra: ["imageRef": .string(image)])
            #expect(!home.isEmpty)
        }
    }

    @Test("another project's snapshot or volume, or a backup the top does not know, is Cinder's 404", arguments: TestDatabases.backends)
    func sourcesOfAnotherProject(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try VolumeClient(harness)
            let volume = try await demo.createVolume(name: "source", zone: "az1")
            try await demo.waitFor("/volumes/\(volume)", member: "volume", status: "available")
            let snapshotReply = try await demo.send("POST", "/snapshots", ["snapshot": ["volume_id": .string(volume)]])
            let snapshot = try #require(snapshotReply.json["snapshot"]?["id"]?.stringValue, "\(snapshotReply.text)")

            let alt = try VolumeClient(harness, user: "alt_demo")
            try await Self.refused(alt, ["size": 1, "snapshot_id": .string(snapshot)],
                                   status: 404, key: "itemNotFound", "Snapshot \(snapshot) could not be found.")
            try await Self.refused(alt, ["size": 1, "source_volid": .string(volume)],
                                   status: 404, key: "itemNotFound", "Volume \(volume) could not be found.")
            let backup = UUID().uuidString.lowercased()
            try await Self.refused(alt, ["size": 1, "availability_zone": "az1", "backup_id": .string(backup)],
                                   status: 404, key: "itemNotFound", "Backup \(backup) could not be found.")
            try await Self.nothingSent(harness, alt)
        }
    }
}
