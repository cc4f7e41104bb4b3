import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Nova's `key_pairs` quota at the top: counted per user over the key pairs the top keeps, exact across
/// gateways sharing one state database.
@Suite("Key pair quota at the top")
struct KeypairQuotaTests {
    @Test("key_pairs=3: 8 concurrent creates through two gateways keep exactly 3; the rest get Nova's 403; a delete frees one",
          arguments: TestDatabases.backends)
    func concurrentCreatesStopAtTheLimit(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let admin = try ComputeClient(first, user: "admin")
            let demo = try ComputeClient(first)
            #expect(try await admin.send("PUT", "/os-quota-sets/\(demo.token.projectID)", ["quota_set": ["key_pairs": 3]]).status == 200)
            try await first.withSecondGateway { second in
                let clients = [demo, try ComputeClient(second)]
                let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                    for i in 0..<8 {
                        let client = clients[i % 2]
                        group.addTask { try await client.send("POST", "/os-keypairs", ["keypair": ["name": .string("k\(i)")]]) }
                    }
                    var out: [HarnessReply] = []
                    for try await reply in group { out.append(reply) }
                    return out
                }
                #expect(replies.filter { $0.status == 200 }.count == 3, "\(replies.map { "\($0.status) \($0.text.prefix(120))" })")
                let refused = replies.filter { $0.status == 403 }
                #expect(refused.count == 5)
                #expect(refused.allSatisfy { $0.json["forbidden"]?["message"] == "Quota exceeded, too many key pairs." })
            }
            let names = try await demo.send("GET", "/os-keypairs").json["keypairs"]?.arrayValue?
                .compactMap { $0["keypair"]?["name"]?.stringValue } ?? []
            #expect(names.count == 3)
            let name = try #require(names.first)
            #expect(try await demo.send("DELETE", "/os-keypairs/\(name)").status == 202)
            #expect(try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "again"]]).status == 200)
            #expect(try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "over"]]).status == 403)
        }
    }
}
