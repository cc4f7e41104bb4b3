import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// A pod's 401 to the caller's token is a 401 at the top: the token is dropped from the gateway's cache
/// and checked with Keystone again, and the pod is not taken for a dead region (no partial list, no
/// servers from the routing table, no open circuit).
@Suite("A pod's 401 on the caller's token")
struct PodUnauthorizedTests {
    /// A fresh demo token the gateway has validated and cached, then revoked in Keystone.
    static func cachedThenRevoked(_ harness: GatewayHarness) async throws -> ComputeClient {
        let client = try ComputeClient(harness)
        let warm = try await client.send("GET", "/flavors")
        guard warm.status == 200 else { throw HarnessError("warm-up: \(warm.status) \(warm.text)") }
        guard harness.runtime.tokenCache.trusts(client.token.id) else { throw HarnessError("the token was not cached") }
        harness.cloud.identity.revoke(token: client.token.id)
        return client
    }

    static func expectKeystone401(_ reply: HarnessReply, _ harness: GatewayHarness, token: String, _ what: String) {
        #expect(reply.status == 401, "\(what): \(reply.status) \(reply.text)")
        #expect(reply.header("WWW-Authenticate")?.hasPrefix("Keystone uri=") == true, "\(what)")
        #expect(reply.json["unauthorized"]?["code"] == 401, "\(what): \(reply.text)")
        #expect(!harness.runtime.tokenCache.trusts(token), "\(what): the revoked token is still cached")
    }

    @Test("a token revoked after the gateway cached it gets 401 from plain, detailed and 2.69 lists, a routed show and an AZ listing; the pods' circuits stay closed", arguments: TestDatabases.backends)
    func revokedTokenIsRefusedEverywhere(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let owner = try ComputeClient(harness)
            let near = try await owner.boot("near", az: "az1")
            let far = try await owner.boot("far", az: "az2")

            for (path, version) in [("/servers", nil), ("/servers/detail", nil), ("/servers/detail", "2.69"), ("/servers/\(far)", nil)] {
                let client = try await Self.cachedThenRevoked(harness)
                let reply = try await client.send("GET", path, version: version)
                Self.expectKeystone401(reply, harness, token: client.token.id, "\(path) at \(version ?? "the base version")")
                #expect(reply.json["servers"]?.arrayValue == nil, "\(path): a list was answered")
                // The next request is answered from the cache's refusal, as for any invalid token.
                #expect(try await client.send("GET", "/flavors").status == 401)
            }

            // An "ask every pod" loop outside the lister (the admin's AZ detail) answers 401 too.
            let admin = try ComputeClient(harness, user: "admin")
            #expect(try await admin.send("GET", "/os-availability-zone/detail").status == 200)
            harness.cloud.identity.revoke(token: admin.token.id)
            let zones = try await admin.send("GET", "/os-availability-zone/detail")
            Self.expectKeystone401(zones, harness, token: admin.token.id, "AZ detail")

            // The pods answered, so they are not down: a valid token right after is served by both.
            for region in ["RegionOne", "RegionTwo"] {
                #expect(!harness.runtime.podHealth(serviceType: "compute").isOpen(podID: try await harness.pod(region).podID))
            }
            let valid = try ComputeClient(harness)
            let listed = try await valid.send("GET", "/servers/detail", version: "2.69")
            #expect(listed.status == 200)
            let servers = listed.json["servers"]?.arrayValue ?? []
            #expect(Set(servers.compactMap { $0["id"]?.stringValue }) == [near, far])
            #expect(servers.allSatisfy { $0["status"] != "UNKNOWN" })
            #expect(try await valid.send("GET", "/servers/\(far)").status == 200)
        }
    }

    @Test("a pod that refuses a token Keystone still accepts: its 401 is relayed for a routed call, a merged list is a 401 rather than the other pod's part, and the token stays usable")
    func podOutOfStepWithKeystone() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let near = try await client.boot("near", az: "az1")
            let far = try await client.boot("far", az: "az2")
            harness.cloud.setFault(FaultSettings(errorRate: 1, errorStatus: 401), region: "RegionTwo", service: .compute)

            let routed = try await client.send("GET", "/servers/\(far)")
            #expect(routed.status == 401)
            for version in [nil, "2.69"] {
                let listed = try await client.send("GET", "/servers/detail", version: version)
                #expect(listed.status == 401, "at \(version ?? "the base version"): \(listed.status) \(listed.text)")
                #expect(listed.header("WWW-Authenticate") != nil)
                #expect(listed.json["unauthorized"]?["message"]?.stringValue?.contains("RegionTwo") == true, "\(listed.text)")
            }
            // Only RegionOne's servers are asked for: nothing is missing, so they are listed.
            let az1 = try await client.send("GET", "/servers?availability_zone=az1")
            #expect(az1.status == 200)
            #expect(az1.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [near])

            harness.cloud.resetFaults()
            let healed = try await client.send("GET", "/servers")
            #expect(healed.status == 200)
            #expect(Set(healed.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [near, far])
            #expect(!harness.runtime.podHealth(serviceType: "compute").isOpen(podID: try await harness.pod("RegionTwo").podID))
        }
    }
}
