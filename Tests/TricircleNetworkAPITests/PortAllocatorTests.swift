import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// The allocator probes at random and scans only a nearly full pool: never an address twice, and a
/// correct 409 when the pool is exhausted.
@Suite("Port address allocation")
struct PortAllocatorTests {
    @Test("filling a /26 one port at a time: 61 distinct pool addresses, then IpAddressGenerationFailure", arguments: TestDatabases.backends)
    func fillPool(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.60.0.0/26")
            var addresses: [String] = []
            var holders: [String: String] = [:]
            for _ in 0..<61 {
                let port = try await neutron.create("ports", "port", ["network_id": .string(networkID)])
                let address = port["fixed_ips"]?.at(0)?["ip_address"]?.stringValue ?? ""
                addresses.append(address)
                holders[address] = port["id"]?.stringValue
            }
            #expect(Set(addresses).count == 61)
            let expected = Set((2...62).map { "10.60.0.\($0)" })
            #expect(Set(addresses) == expected)
            let exhausted = try await neutron.send("POST", "/ports", ["port": ["network_id": .string(networkID)]])
            #expect(exhausted.status == 409)
            #expect(exhausted.json["NeutronError"]?["type"] == "IpAddressGenerationFailure")

            // A freed address is handed out again, and only that one.
            let freedID = try #require(holders["10.60.0.40"])
            #expect(try await neutron.send("DELETE", "/ports/\(freedID)").status == 204)
            let again = try await neutron.create("ports", "port", ["network_id": .string(networkID)])
            #expect(again["fixed_ips"]?.at(0)?["ip_address"]?.stringValue == "10.60.0.40")
        }
    }

    @Test("50 concurrent creates on a /27 (29 free): 29 distinct addresses, 21 IpAddressGenerationFailure", arguments: TestDatabases.backends)
    func concurrentExhaustion(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.61.0.0/27")
            let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await neutron.send("POST", "/ports", ["port": ["network_id": .string(networkID)]]) }
                }
                var out: [HarnessReply] = []
                for try await reply in group { out.append(reply) }
                return out
            }
            let made = replies.filter { $0.status == 201 }.compactMap { $0.json["port"]?["fixed_ips"]?.at(0)?["ip_address"]?.stringValue }
            #expect(made.count == 29)
            #expect(Set(made).count == 29)
            let failed = replies.filter { $0.status != 201 }
            #expect(failed.count == 21)
            #expect(failed.allSatisfy { $0.status == 409 && $0.json["NeutronError"]?["type"] == "IpAddressGenerationFailure" })
        }
    }
}
