import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Networking's quota shares the gateway's quota ledger: exact across gateway processes on one database.
@Suite("Network quotas across gateways")
struct NetworkQuotaGatewaysTests {
    @Test("security_group=6: 20 concurrent creates through two gateways make exactly 5 more; the rest are Neutron's 409 OverQuota",
          arguments: TestDatabases.backends)
    func concurrentCreatesThroughTwoGateways(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let demo = try NeutronClient(first)
            let admin = try NeutronClient(first, user: "admin")
            let project = demo.token.projectID
            // The project's default group is made on first use and counts too: make it now.
            #expect(try await demo.send("GET", "/security-groups").status == 200)
            #expect(try await admin.send("PUT", "/quotas/\(project)", ["quota": ["security_group": 6]]).status == 200)
            try await first.withSecondGateway { second in
                let clients = [demo, try NeutronClient(second)]
                let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                    for index in 0..<20 {
                        let client = clients[index % 2]
                        group.addTask { try await client.send("POST", "/security-groups", ["security_group": ["name": .string("g\(index)")]]) }
                    }
                    var out: [HarnessReply] = []
                    for try await reply in group { out.append(reply) }
                    return out
                }
                let refused = replies.filter { $0.status == 409 }
                let made = replies.filter { $0.status == 201 }
                #expect(made.count == 5, "\(replies.map { "\($0.status) \($0.text.prefix(200))" })")
                #expect(refused.count == 15)
                #expect(refused.allSatisfy { $0.json["NeutronError"]?["type"] == "OverQuota" })
            }
            let details = try await demo.send("GET", "/quotas/\(project)/details").json["quota"]?["security_group"]
            #expect(details == ["limit": 6, "used": 6, "reserved": 0])
        }
    }
}
