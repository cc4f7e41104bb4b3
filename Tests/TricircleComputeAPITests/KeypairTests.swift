import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleComputeAPI
import TricircleGateway

@Suite("Compute key pairs at the top")
struct KeypairTests {
    static let publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVxD2AvUdqn4nZV6DKyMHB7QGN3NlVEhf2lVdMe+x2X test@host"
    static let fingerprint = "da:d2:30:20:52:c2:7c:70:10:db:cf:f9:20:9a:db:3c"

    @Test("create generates a key before 2.92, import fingerprints as Nova does, names are per user, delete answers by version")
    func lifecycle() async throws {
        try await GatewayHarness.with { harness in
            let demo = try CatalogClient(harness)
            let alt = try CatalogClient(harness, user: "alt_demo")
            let generated = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "gen"]])
            #expect(generated.status == 200)
            let key = generated.json["keypair"]
            #expect(key?["private_key"]?.stringValue?.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n") == true)
            #expect(key?["public_key"]?.stringValue?.hasPrefix("ssh-ed25519 ") == true)
            #expect(key?["user_id"]?.stringValue == demo.userID)
            #expect(key?["type"] == nil)
            let imported = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "mine", "public_key": .string(Self.publicKey)]], version: "2.2")
            #expect(imported.status == 201)
            #expect(imported.json["keypair"]?["fingerprint"]?.stringValue == Self.fingerprint)
            #expect(imported.json["keypair"]?["type"] == "ssh")
            #expect(imported.json["keypair"]?["private_key"] == nil)
            let duplicate = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "mine", "public_key": .string(Self.publicKey)]])
            #expect(duplicate.status == 409)
            #expect(duplicate.json["conflictingRequest"] != nil)
            // Another user may use the same name.
            #expect(try await alt.send("POST", "/os-keypairs", ["keypair": ["name": "mine", "public_key": .string(Self.publicKey)]]).status == 200)
            #expect(try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "bad", "public_key": "ssh-rsa notbase64!"]]).status == 400)
            #expect(try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "bad/name", "public_key": .string(Self.publicKey)]]).status == 400)
            #expect(try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "nokey"]], version: "2.92").status == 400)

            let list = try await demo.send("GET", "/os-keypairs", version: "2.35")
            #expect(list.json["keypairs"]?.arrayValue?.compactMap { $0["keypair"]?["name"]?.stringValue } == ["gen", "mine"])
            let page = try await demo.send("GET", "/os-keypairs?limit=1", version: "2.35")
            #expect(page.json["keypairs"]?.arrayValue?.count == 1)
            #expect(page.json["keypairs_links"]?.at(0)?["href"]?.stringValue?.contains("marker=gen") == true)
            let shown = try await demo.send("GET", "/os-keypairs/mine", version: "2.10")
            #expect(shown.json["keypair"]?["user_id"]?.stringValue == demo.userID)
            #expect(shown.json["keypair"]?["deleted"] == false)
            // Users cannot read each other's key pairs; admins can at 2.10+.
            #expect(try await alt.send("GET", "/os-keypairs/gen").status == 404)
            #expect(try await alt.send("GET", "/os-keypairs/gen?user_id=\(demo.userID)", version: "2.10").status == 403)
            let admin = try CatalogClient(harness, user: "admin")
            #expect(try await admin.send("GET", "/os-keypairs/gen?user_id=\(demo.userID)", version: "2.10").status == 200)

            #expect(try await demo.send("DELETE", "/os-keypairs/gen", version: "2.2").status == 204)
            #expect(try await demo.send("DELETE", "/os-keypairs/mine").status == 202)
            let gone = try await demo.send("GET", "/os-keypairs/mine")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["message"]?.stringValue == "Keypair mine not found for user \(demo.userID)")
        }
    }

    @Test("provisioning copies the caller's key pair into the pod once and replaces a different key there")
    func provisioning() async throws {
        try await GatewayHarness.with { harness in
            let demo = try CatalogClient(harness)
            let provisioner = try #require(harness.catalog?.keypairProvisioning)
            let pod = try await harness.pod("RegionOne")
            await #expect(throws: APIError.self) { try await provisioner.ensureKeypair("missing", in: pod, context: demo.podContext) }
            _ = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "boot", "public_key": .string(Self.publicKey)]])
            try await provisioner.ensureKeypair("boot", in: pod, context: demo.podContext)
            try await provisioner.ensureKeypair("boot", in: pod, context: demo.podContext)
            let inPod = try await demo.pod("RegionOne", "GET", "/os-keypairs/boot")
            #expect(inPod.status == 200)
            #expect((try inPod.decode(JSONValue.self))["keypair"]?["fingerprint"]?.stringValue == Self.fingerprint)

            // A stale key under the same name in another pod is replaced by the top's.
            let other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2cbdrG7VT6xUt5Qmc0e0G2w7VJBtE8Q2QHcLUiYmz4 other"
            let planted = try await demo.pod("RegionTwo", "POST", "/os-keypairs", body: ["keypair": ["name": "boot", "public_key": .string(other)]])
            #expect(planted.isSuccess)
            try await provisioner.ensureKeypair("boot", in: try await harness.pod("RegionTwo"), context: demo.podContext)
            let replaced = try await demo.pod("RegionTwo", "GET", "/os-keypairs/boot")
            #expect((try replaced.decode(JSONValue.self))["keypair"]?["public_key"]?.stringValue == Self.publicKey)
        }
    }
}
