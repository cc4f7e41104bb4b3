import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Version documents and microversion negotiation at the top.
@Suite("Compute versions and microversions")
struct ComputeVersionTests {
    @Test("version documents need no token, advertise the pods' common range and link to the gateway")
    func versionDocuments() async throws {
        try await GatewayHarness.with { harness in
            let root = try await harness.send("GET", harness.origin("compute") + "/", token: nil)
            #expect(root.status == 200)
            let current = root.json["versions"]?.arrayValue?.first { $0["id"] == "v2.1" }
            #expect(current?["version"] == "2.100")
            #expect(current?["min_version"] == "2.1")
            #expect(current?["links"]?.arrayValue?.first?["href"]?.stringValue == harness.origin("compute") + "/v2.1/")
            let v21 = try await harness.send("GET", harness.url("compute"), token: nil)
            #expect(v21.status == 200)
            #expect(v21.json["version"]?["status"] == "CURRENT")
            #expect(v21.json["version"]?["media-types"] != nil)
        }
    }

    @Test("an out-of-range microversion is 406 computeFault; latest and explicit versions are echoed with Vary")
    func negotiation() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let tooHigh = try await client.send("GET", "/servers", version: "2.500")
            #expect(tooHigh.status == 406)
            #expect(tooHigh.json["computeFault"]?["message"]?.stringValue == "Version 2.500 is not supported by the API. Minimum is 2.1 and maximum is 2.100.")
            let malformed = try await client.send("GET", "/servers", version: "two")
            #expect(malformed.status == 400)
            #expect(malformed.json["badRequest"] != nil)
            let latest = try await client.send("GET", "/servers", version: "latest")
            #expect(latest.status == 200)
            #expect(latest.header("OpenStack-API-Version") == "compute 2.100")
            #expect(latest.header("Vary")?.contains("OpenStack-API-Version") == true)
            let legacy = try await harness.send(
                "GET", client.base + "/servers", token: client.token.id, headers: [("X-OpenStack-Nova-API-Version", "2.26")])
            #expect(legacy.header("X-OpenStack-Nova-API-Version") == "2.26")
            let none = try await client.send("GET", "/servers")
            #expect(none.header("OpenStack-API-Version") == "compute 2.1")
        }
    }
}
