import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleGateway

/// A routed Image API call whose pod (the home Glance) refuses the caller's token answers Glance's 401
/// with `WWW-Authenticate`, and the token leaves the gateway's cache.
@Suite("Image calls refused by a pod")
struct ImageUnauthorizedTests {
    @Test("a token revoked after the gateway cached it gets Glance's 401 with WWW-Authenticate from an image list and is no longer cached")
    func revokedTokenIsRefused() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let images = harness.url("image") + "/v2/images"
            #expect(try await harness.send("GET", images, token: token).status == 200)
            #expect(harness.runtime.tokenCache.trusts(token))
            harness.cloud.identity.revoke(token: token)

            let reply = try await harness.send("GET", images, token: token)
            #expect(reply.status == 401, "\(reply.status) \(reply.text)")
            #expect(reply.header("WWW-Authenticate")?.hasPrefix("Keystone uri=") == true)
            #expect(reply.json["code"]?.stringValue == "401 Unauthorized", "\(reply.text)")
            #expect(!harness.runtime.tokenCache.trusts(token))
            #expect(!harness.runtime.podHealth(serviceType: "image").isOpen(podID: try await harness.pod("RegionOne").podID))
            #expect(try await harness.send("GET", images, token: try harness.token().id).status == 200)
        }
    }
}
