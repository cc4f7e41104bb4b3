import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// Two gateway processes on one database, as behind a round-robin load balancer (e2e/sites): whatever one
/// process keeps in memory (routing and token caches, list cursors, the flavor seeder's view of the pods)
/// must not make the other answer wrongly when a client's next request lands there.
@Suite("Two gateways behind one load balancer")
struct GatewaysBehindOneBalancerTests {
    /// Polls `path` through `client` until it answers `status`.
    static func eventually(_ client: ComputeClient, _ path: String, status: Int) async throws -> HarnessReply {
        var reply = try await client.send("GET", path)
        for _ in 0..<300 where reply.status != status {
            try await Task.sleep(for: .milliseconds(10))
            reply = try await client.send("GET", path)
        }
        return reply
    }

    @Test("a server deleted through one gateway is 404 through the other, which had its routing cached", arguments: TestDatabases.backends)
    func deleteThroughOneShowThroughOther(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let a = try ComputeClient(first)
            let id = try await a.boot("lb-delete", az: "az2")
            try await a.waitFor(id, status: "ACTIVE")
            try await first.withSecondGateway { second in
                let b = try ComputeClient(second)
                #expect(try await b.send("GET", "/servers/\(id)").status == 200)
                #expect(try await a.send("DELETE", "/servers/\(id)").status == 204)
                #expect(try await Self.eventually(a, "/servers/\(id)", status: 404).status == 404)
                // Gone from its region too: the second gateway's cached row now points at nothing there.
                #expect(try await a.direct("RegionTwo", "/servers/\(id)").status == 404)
                let shown = try await b.send("GET", "/servers/\(id)")
                #expect(shown.status == 404, "\(shown.text)")
                #expect(shown.json["itemNotFound"]?["code"] == 404, "\(shown.text)")
                // A server made through the second gateway is seen through the first at once (no negative cache).
                let made = try await b.boot("lb-made", az: "az1")
                #expect(try await a.send("GET", "/servers/\(made)").status == 200)
            }
        }
    }

    @Test("the pages of a merged list asked alternately of two gateways are the pages one gateway gives", arguments: TestDatabases.backends)
    func pagesAlternatingBetweenGateways(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let a = try ComputeClient(first)
            for i in 0..<6 { _ = try await a.boot("lb-page-\(i)", az: i % 2 == 0 ? "az1" : "az2") }
            let whole = try await a.walk("/servers?limit=100")
            #expect(whole.ids.count == 6)
            try await first.withSecondGateway { second in
                let clients = [a, try ComputeClient(second)]
                var ids: [String] = []
                var next: String? = "/servers?limit=2"
                var page = 0
                while let path = next, page < 10 {
                    // Each page from the other gateway: its cursor cache never saw the previous page's marker.
                    let reply = try await clients[page % 2].send("GET", path)
                    #expect(reply.status == 200, "\(reply.text)")
                    ids += reply.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                    let href = reply.json["servers_links"]?.arrayValue?.first { $0["rel"] == "next" }?["href"]?.stringValue
                    next = href.flatMap { link in link.range(of: "/servers").map { String(link[$0.lowerBound...]) } }
                    page += 1
                }
                #expect(ids == whole.ids)
            }
        }
    }

    @Test("a token revoked after both gateways cached it is refused by both once a pod is asked", arguments: TestDatabases.backends)
    func revokedTokenOnBothGateways(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let owner = try ComputeClient(first)
            let id = try await owner.boot("lb-token", az: "az1")
            try await first.withSecondGateway { second in
                let a = try ComputeClient(first)
                let b = ComputeClient(second, token: a.token)
                #expect(try await a.send("GET", "/servers/\(id)").status == 200)
                #expect(try await b.send("GET", "/servers/\(id)").status == 200)
                #expect(first.runtime.tokenCache.trusts(a.token.id) && second.runtime.tokenCache.trusts(a.token.id))
                first.cloud.identity.revoke(token: a.token.id)
                for (client, harness) in [(b, second), (a, first)] {
                    let reply = try await client.send("GET", "/servers/\(id)")
                    #expect(reply.status == 401, "\(reply.text)")
                    #expect(!harness.runtime.tokenCache.trusts(a.token.id))
                }
            }
        }
    }

    @Test("a flavor deleted at the top through one gateway is not brought back by the other's first look at the pods", arguments: TestDatabases.backends)
    func deletedFlavorStaysDeleted(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let admin = try ComputeClient(first, user: "admin")
            let flavors = try await admin.send("GET", "/flavors")
            let names = flavors.json["flavors"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("m1.tiny"), "\(flavors.text)")
            let tiny = flavors.json["flavors"]?.arrayValue?.first { $0["name"] == "m1.tiny" }?["id"]?.stringValue ?? ""
            #expect(try await admin.send("DELETE", "/flavors/\(tiny)").status == 202)
            try await first.withSecondGateway { second in
                let other = try ComputeClient(second, user: "admin")
                let listed = try await other.send("GET", "/flavors")
                #expect(listed.status == 200)
                let after = listed.json["flavors"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(!after.contains("m1.tiny"), "\(after)")
                #expect(after.count == names.count - 1)
                #expect(try await other.send("GET", "/flavors/\(tiny)").status == 404)
            }
        }
    }
}

extension ComputeClient {
    /// Another gateway's view with the same token (a client whose next request lands on another process).
    init(_ harness: GatewayHarness, token: SimulatedToken) {
        self.harness = harness
        self.token = token
    }
}
