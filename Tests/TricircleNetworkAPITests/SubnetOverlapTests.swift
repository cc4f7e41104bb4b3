import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// The overlapping-CIDR rule holds under concurrency: the check and the insert are one locked step.
@Suite("Subnet overlap under concurrency")
struct SubnetOverlapTests {
    @Test("20 concurrent creates of overlapping subnets on one network: exactly one 201, the rest Neutron's 400", arguments: TestDatabases.backends)
    func concurrentOverlappingCreates(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let network = try await neutron.create("networks", "network", ["name": "overlap"])
            let networkID = network["id"]?.stringValue ?? ""
            // Every CIDR overlaps every other: nested prefixes of one address, /12 to /31.
            let cidrs = (0..<20).map { "10.0.0.0/\(12 + $0)" }
            let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                for cidr in cidrs {
                    group.addTask {
                        try await neutron.send("POST", "/subnets", ["subnet": [
                            "network_id": .string(networkID), "cidr": .string(cidr), "ip_version": 4,
                        ]])
                    }
                }
                var out: [HarnessReply] = []
                for try await reply in group { out.append(reply) }
                return out
            }
            #expect(replies.filter { $0.status == 201 }.count == 1)
            let refused = replies.filter { $0.status != 201 }
            #expect(refused.count == 19)
            for reply in refused {
                #expect(reply.status == 400)
                #expect(reply.json["NeutronError"]?["type"] == "InvalidInput")
                #expect(reply.json["NeutronError"]?["message"]?.stringValue?.contains("overlaps with another subnet") == true)
            }
            let stored = try await neutron.send("GET", "/subnets?network_id=\(networkID)")
            #expect(stored.json["subnets"]?.arrayValue?.count == 1)
            // Another network may overlap freely.
            let other = try await neutron.create("networks", "network", ["name": "other"])
            let again = try await neutron.send("POST", "/subnets", ["subnet": [
                "network_id": other["id"] ?? .null, "cidr": "10.0.0.0/24", "ip_version": 4,
            ]])
            #expect(again.status == 201)
        }
    }

    @Test("two gateway stores on one database: concurrent checked inserts under one network, exactly one lands", arguments: TestDatabases.backends)
    func twoStores(backend: StoreBackend) async throws {
        let url = try await TestDatabases.makeURL(backend)
        let first = try await StateStore.open(url: url, maxPoolSize: 8)
        let second = try await StateStore.open(url: url, maxPoolSize: 8)
        do {
            try await first.migrate()
            let stores = [NetworkDocumentStore(store: first), NetworkDocumentStore(store: second)]
            let now = Timestamp.now()
            try await stores[0].insert(.networks, NetworkDocument(id: "net-1", projectID: "p", body: "{}", createdAt: now, updatedAt: now))
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let subnet = NetworkDocument(id: "subnet-\(index)", projectID: "p", parentID: "net-1", body: "{}",
                                                     createdAt: now, updatedAt: now)
                        do {
                            // Every subnet here overlaps every other: any sibling refuses the insert.
                            return try await stores[index % 2].insert(.subnets, subnet, lockingParent: .networks) { siblings in
                                if !siblings.isEmpty { throw NeutronError.invalidInput("overlaps with another subnet") }
                            }
                        } catch is NeutronError {
                            return false
                        }
                    }
                }
                var out: [Bool] = []
                for try await outcome in group { out.append(outcome) }
                return out
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await stores[1].list(.subnets, NetworkDocumentQuery(parentIDs: ["net-1"])).count == 1)
            // A parent that is gone: nothing is inserted.
            let orphan = NetworkDocument(id: "subnet-x", projectID: "p", parentID: "gone", body: "{}", createdAt: now, updatedAt: now)
            #expect(try await stores[0].insert(.subnets, orphan, lockingParent: .networks) { _ in } == false)
            #expect(try await stores[0].get(.subnets, id: "subnet-x") == nil)
        } catch {
            try? await first.close()
            try? await second.close()
            throw error
        }
        try await first.close()
        try await second.close()
    }
}
