import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// A pod's 401 to the caller's token is a 401 at the top for Block Storage too: merged volume lists,
/// paging from a marker and routed calls.
@Suite("Volume calls refused by a pod")
struct VolumeUnauthorizedTests {
    /// A fresh demo token the gateway has validated and cached, then revoked in Keystone.
    static func cachedThenRevoked(_ harness: GatewayHarness) async throws -> VolumeClient {
        let client = try VolumeClient(harness)
        let warm = try await client.send("GET", "/types")
        guard warm.status == 200 else { throw HarnessError("warm-up: \(warm.status) \(warm.text)") }
        guard harness.runtime.tokenCache.trusts(client.token.id) else { throw HarnessError("the token was not cached") }
        harness.cloud.identity.revoke(token: client.token.id)
        return client
    }

    @Test("a token revoked after the gateway cached it gets 401 with WWW-Authenticate from volume lists, a marker page and a routed show, and is no longer cached", arguments: TestDatabases.backends)
    func revokedTokenIsRefused(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let owner = try VolumeClient(harness)
            let near = try await owner.createVolume(name: "near", zone: "az1")
            let far = try await owner.createVolume(name: "far", zone: "az2")
            for path in ["/volumes", "/volumes/detail", "/volumes?limit=1&marker=\(far)", "/volumes/\(far)"] {
                let client = try await Self.cachedThenRevoked(harness)
                let reply = try await client.send("GET", path)
                #expect(reply.status == 401, "\(path): \(reply.status) \(reply.text)")
                #expect(reply.header("WWW-Authenticate")?.hasPrefix("Keystone uri=") == true, "\(path)")
                #expect(reply.json["unauthorized"]?["code"] == 401, "\(path): \(reply.text)")
                #expect(!harness.runtime.tokenCache.trusts(client.token.id), "\(path): the revoked token is still cached")
            }
            for region in ["RegionOne", "RegionTwo"] {
                #expect(!harness.runtime.podHealth(serviceType: "volumev3").isOpen(podID: try await harness.pod(region).podID))
            }
            let valid = try VolumeClient(harness)
            let listed = try await valid.send("GET", "/volumes")
            #expect(listed.status == 200)
            #expect(Set(listed.json["volumes"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [near, far])
        }
    }

    @Test("a pod that refuses a token Keystone still accepts makes a merged volume list a 401, not the other pod's part")
    func podOutOfStepWithKeystone() async throws {
        try await GatewayHarness.with { harness in
            let client = try VolumeClient(harness)
            let near = try await client.createVolume(name: "near", zone: "az1")
            let far = try await client.createVolume(name: "far", zone: "az2")
            harness.cloud.setFault(FaultSettings(errorRate: 1, errorStatus: 401), region: "RegionTwo", service: .volume)

            let listed = try await client.send("GET", "/volumes/detail")
            #expect(listed.status == 401, "\(listed.status) \(listed.text)")
            #expect(listed.json["unauthorized"]?["message"]?.stringValue?.contains("RegionTwo") == true, "\(listed.text)")
            #expect(try await client.send("GET", "/volumes/\(far)").status == 401)

            harness.cloud.resetFaults()
            let healed = try await client.send("GET", "/volumes")
            #expect(healed.status == 200)
            #expect(Set(healed.json["volumes"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [near, far])
        }
    }
}
