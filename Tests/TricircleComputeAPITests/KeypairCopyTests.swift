import GatewayTestHarness
import OpenStackModels
import Testing

/// Key pairs live at the top; a boot copies the caller's pair into its pod, and deleting the pair at
/// the top removes those copies too, so nothing is left behind in any region.
@Suite("Key pair copies")
struct KeypairCopyTests {
    @Test("a boot copies the key pair into its pod; deleting it at the top removes the copy")
    func deleteRemovesPodCopies() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let created = try await client.send("POST", "/os-keypairs", ["keypair": ["name": "copied"]], version: "2.1")
            #expect(created.status == 200)
            _ = try await client.boot("keyed", az: "az2", extra: ["key_name": "copied"])
            #expect(try await client.direct("RegionTwo", "/os-keypairs/copied").status == 200)

            let deleted = try await client.send("DELETE", "/os-keypairs/copied")
            #expect(deleted.status == 202 || deleted.status == 204)
            #expect(try await client.send("GET", "/os-keypairs/copied").status == 404)
            #expect(try await client.direct("RegionTwo", "/os-keypairs/copied").status == 404)
            #expect(try await client.direct("RegionOne", "/os-keypairs/copied").status == 404)
        }
    }
}
