import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore

/// `PUT /servers/{id}/os-volume_attachments/{volume}` through the top (openstacksdk's
/// `update_volume_attachment`, Nova 2.85): relayed to the server's pod, answered as Nova answers.
@Suite("Volume attachment update")
struct VolumeAttachmentUpdateTests {
    @Test("at 2.85 delete_on_termination changes through the top and in the server's region; a swap, an immutable field and an unattached volume are Nova's refusals")
    func deleteOnTerminationUpdate() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let id = try await client.boot("dot", az: "az2")
            try await client.waitFor(id, status: "ACTIVE")
            let volumes = harness.url("volume", projectID: client.token.projectID)
            let made = try await harness.send(
                "POST", volumes + "/volumes", token: client.token.id, body: #"{"volume": {"size": 1, "availability_zone": "az2"}}"#)
            #expect(made.status == 202)
            let volumeID = try #require(made.json["volume"]?["id"]?.stringValue)
            for _ in 0..<300 {
                let shown = try await harness.send("GET", volumes + "/volumes/\(volumeID)", token: client.token.id)
                if shown.json["volume"]?["status"] == "available" { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            let attached = try await client.send(
                "POST", "/servers/\(id)/os-volume_attachments", ["volumeAttachment": ["volumeId": .string(volumeID)]], version: "2.85")
            #expect(attached.status == 200)
            #expect(attached.json["volumeAttachment"]?["delete_on_termination"] == false)

            let path = "/servers/\(id)/os-volume_attachments/\(volumeID)"
            let updated = try await client.send(
                "PUT", path, ["volumeAttachment": ["volumeId": .string(volumeID), "delete_on_termination": true]], version: "2.85")
            #expect(updated.status == 202)
            #expect(try await client.send("GET", path, version: "2.85").json["volumeAttachment"]?["delete_on_termination"] == true)
            let below = try await client.direct("RegionTwo", path, version: "2.85")
            #expect(below.json["volumeAttachment"]?["delete_on_termination"] == true)

            // Fields Nova does not let an update change.
            let device = try await client.send(
                "PUT", path, ["volumeAttachment": ["volumeId": .string(volumeID), "device": "/dev/vdz"]], version: "2.85")
            #expect(device.status == 400)
            #expect(device.json["badRequest"]?["message"] == "The device property is not mutable")
            // Another volume id is a swap: admin-only, and only Cinder may ask for one (its volume migrating).
            let other = "00000000-0000-4000-8000-000000000001"
            let swap = try await client.send(
                "PUT", path, ["volumeAttachment": ["volumeId": .string(other)]], version: "2.85")
            #expect(swap.status == 403)
            // Before 2.85 every PUT is a swap.
            #expect(try await client.send("PUT", path, ["volumeAttachment": ["volumeId": .string(volumeID)]]).status == 403)

            #expect(try await client.send("DELETE", path).status == 202)
            let gone = try await client.send(
                "PUT", path, ["volumeAttachment": ["volumeId": .string(volumeID), "delete_on_termination": false]], version: "2.85")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"] != nil)
        }
    }
}
