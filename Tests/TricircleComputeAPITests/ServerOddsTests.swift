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

    @Test("diagnostics and remote consoles are answered by the server's pod, for whom Nova allows them")
    func diagnosticsAndConsoles() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let admin = try ComputeClient(harness, user: "admin")
            let id = try await client.boot("con", az: "az2")
            try await client.waitFor(id, status: "ACTIVE")
            // Diagnostics are admin-only in Nova.
            let denied = try await client.send("GET", "/servers/\(id)/diagnostics")
            #expect(denied.status == 403)
            #expect(denied.json["forbidden"] != nil)
            let modern = try await admin.send("GET", "/servers/\(id)/diagnostics", version: "2.48")
            #expect(modern.status == 200)
            #expect(modern.json["state"] == "running")
            #expect(modern.json["memory_details"]?["maximum"] != nil)
            let legacy = try await admin.send("GET", "/servers/\(id)/diagnostics")
            #expect(legacy.json["memory"] != nil)
            #expect(legacy.json["state"] == nil)

            let console = try await client.send("POST", "/servers/\(id)/remote-consoles",
                                                ["remote_console": ["protocol": "vnc", "type": "novnc"]], version: "2.6")
            #expect(console.status == 200)
            #expect(console.json["remote_console"]?["type"] == "novnc")
            #expect(console.json["remote_console"]?["url"]?.stringValue?.contains("token") == true)
            let spice = try await client.send("POST", "/servers/\(id)/remote-consoles",
                                              ["remote_console": ["protocol": "spice", "type": "spice-html5"]], version: "2.6")
            #expect(spice.status == 400)
            #expect(spice.json["badRequest"]?["message"] == "Unavailable console type spice.")
            let action = try await client.send("POST", "/servers/\(id)/action", ["os-getVNCConsole": ["type": "novnc"]])
            #expect(action.status == 200)
            #expect(action.json["console"]?["type"] == "novnc")
            #expect(action.json["console"]?["url"]?.stringValue?.hasPrefix("http://") == true)
            // Another project's server stays hidden.
            let alt = try ComputeClient(harness, user: "alt_demo")
            #expect(try await alt.send("POST", "/servers/\(id)/action", ["os-getVNCConsole": ["type": "novnc"]]).status == 404)
        }
    }
}
