import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore

/// Server sub-resources that answered differently from Nova: boot volumes, diagnostics, consoles.
@Suite("Server odds and ends")
struct ServerOddsTests {
    @Test("a boot from an image onto a new volume shows the volume in os-volume_attachments, and Cinder at the top finds it")
    func bootVolumeIsAttachedAndRouted() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let image = try await client.image(for: "az2")
            let id = try await client.boot("bfv", az: "az2", extra: [
                "imageRef": "",
                "block_device_mapping_v2": [["source_type": "image", "destination_type": "volume", "uuid": .string(image),
                                             "boot_index": 0, "volume_size": 1, "delete_on_termination": true]],
            ])
            try await client.waitFor(id, status: "ACTIVE")
            let attachments = try await client.send("GET", "/servers/\(id)/os-volume_attachments")
            #expect(attachments.status == 200)
            let volumeID = try #require(attachments.json["volumeAttachments"]?.arrayValue?.first?["volumeId"]?.stringValue)
            let volume = try await harness.send(
                "GET", harness.url("volume", projectID: client.token.projectID) + "/volumes/\(volumeID)", token: client.token.id)
            #expect(volume.status == 200)
            #expect(volume.json["volume"]?["status"] == "in-use")
            #expect(volume.json["volume"]?["bootable"] == "true")
            #expect(volume.json["volume"]?["attachments"]?.arrayValue?.first?["server_id"]?.stringValue == id)
            let shown = try await client.send("GET", "/servers/\(id)")
            #expect(shown.json["server"]?["os-extended-volumes:volumes_attached"]?.arrayValue?.first?["id"]?.stringValue == volumeID)
        }
    }
}
