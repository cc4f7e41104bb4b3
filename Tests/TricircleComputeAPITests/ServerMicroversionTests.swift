import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Server views and actions at the newer microversions Tempest checks through the gateway (issue 14):
/// `ServersListShow298Test`, `ServersListShow2100Test`, `ServerShowV254Test`.
@Suite("Servers at 2.54, 2.98 and 2.100 through the top")
struct ServerMicroversionTests {
    @Test("2.98: a server booted from a copied image shows the top's image id with the image properties the pod embeds; 2.100 adds scheduler_hints")
    func imagePropertiesAndHints() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let image = try await demo.image(for: "az2")
            let id = try await demo.boot("embedded", az: "az2")
            try await demo.waitFor(id, status: "ACTIVE")
            // RegionTwo holds a copy of the home image under another id: the top shows the top id.
            let podImage = try await demo.direct("RegionTwo", "/servers/\(id)", version: "2.98").json["server"]?["image"]?["id"]?.stringValue
            #expect(podImage != nil && podImage != image)

            let shown = try await demo.send("GET", "/servers/\(id)", version: "2.98")
            #expect(shown.status == 200)
            #expect(shown.json["server"]?["image"]?["id"]?.stringValue == image)
            #expect(shown.json["server"]?["image"]?["properties"]?.objectValue != nil)
            let listed = try await demo.send("GET", "/servers/detail", version: "2.98")
            let row = listed.json["servers"]?.arrayValue?.first { $0["id"]?.stringValue == id }
            #expect(row?["image"]?["id"]?.stringValue == image)
            #expect(row?["image"]?["properties"]?.objectValue != nil)

            let hinted = try await demo.send("GET", "/servers/\(id)", version: "2.100")
            #expect(hinted.status == 200)
            #expect(hinted.header("OpenStack-API-Version") == "compute 2.100")
            #expect(hinted.json["server"]?["scheduler_hints"]?.objectValue == [:])
            #expect(hinted.json["server"]?["image"]?["id"]?.stringValue == image)
            // Flavors are served by the top itself: the same version is accepted there too.
            #expect(try await demo.send("GET", "/flavors", version: "2.100").status == 200)
        }
    }

    @Test("2.54: a rebuild with a key pair made after the boot makes it present in the server's pod")
    func rebuildWithNewKeypair() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let id = try await demo.boot("rekeyed", az: "az2")
            try await demo.waitFor(id, status: "ACTIVE")
            let made = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "later-key"]], version: "2.54")
            #expect(made.status == 201)
            let image = try await demo.image(for: "az2")
            let rebuilt = try await demo.send(
                "POST", "/servers/\(id)/action", ["rebuild": ["imageRef": .string(image), "key_name": "later-key"]], version: "2.54")
            #expect(rebuilt.status == 202)
            #expect(rebuilt.json["server"]?["key_name"] == "later-key")
            let inPod = try await demo.direct("RegionTwo", "/os-keypairs/later-key")
            #expect(inPod.status == 200)
            // A key pair the caller does not have is Nova's 400.
            let unknown = try await demo.send(
                "POST", "/servers/\(id)/action", ["rebuild": ["imageRef": .string(image), "key_name": "no-such-key"]], version: "2.54")
            #expect(unknown.status == 400)
        }
    }
}
