import Foundation
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Networking tables at the top")
struct NetworkStoreTests {
    static func port(_ id: String, network: String = "net", mac: String? = nil) -> NetworkDocument {
        let now = Timestamp.now()
        return NetworkDocument(id: id, projectID: "p", parentID: network, uniqueKey: mac.map { "mac:\(network):\($0)" },
                               body: "{}", createdAt: now, updatedAt: now)
    }

    @Test("two writers racing for one address: one holds it, the other is told to pick again", arguments: TestDatabases.backends)
    func addressRace(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let addresses = NetworkAddressStore(store: store)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let allocation = IPAllocation(subnetID: "s", ipAddress: "10.0.0.5", networkID: "net", portID: "port\(index)")
                        do {
                            try await addresses.write(.ports, Self.port("port\(index)"), allocations: [allocation], requested: [])
                            return true
                        } catch AddressWriteError.raced {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await addresses.taken(subnetID: "s") == ["10.0.0.5"])
            // The losers left nothing behind: exactly one port row.
            #expect(try await NetworkDocumentStore(store: store).list(.ports, NetworkDocumentQuery()).count == 1)
        }
    }

    @Test("an address asked for by value that is held is refused outright; a taken MAC is reported", arguments: TestDatabases.backends)
    func requestedConflicts(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let addresses = NetworkAddressStore(store: store)
            let first = IPAllocation(subnetID: "s", ipAddress: "10.0.0.7", networkID: "net", portID: "a")
            try await addresses.write(.ports, Self.port("a", mac: "fa:16:3e:00:00:01"), allocations: [first], requested: [first])
            let second = IPAllocation(subnetID: "s", ipAddress: "10.0.0.7", networkID: "net", portID: "b")
            await #expect(throws: AddressWriteError.addressTaken(subnetID: "s", ipAddress: "10.0.0.7")) {
                try await addresses.write(.ports, Self.port("b"), allocations: [second], requested: [second])
            }
            await #expect(throws: AddressWriteError.uniqueKeyTaken("mac:net:fa:16:3e:00:00:01")) {
                try await addresses.write(.ports, Self.port("c", mac: "fa:16:3e:00:00:01"), allocations: [], requested: [])
            }
            // Deleting the port frees its address.
            #expect(try await NetworkDocumentStore(store: store).delete(.ports, id: "a"))
            #expect(try await addresses.taken(subnetID: "s").isEmpty)
        }
    }

    @Test("updates apply only to the revision they read; lists page by id and see shared rows", arguments: TestDatabases.backends)
    func revisionsAndLists(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let documents = NetworkDocumentStore(store: store)
            let now = Timestamp.now()
            for (id, project, device) in [("n1", "p", ""), ("n2", "q", "shared"), ("n3", "q", ""), ("n4", "p", "")] {
                try await documents.insert(.networks, NetworkDocument(id: id, projectID: project, deviceID: device, body: "{}",
                                                                     createdAt: now, updatedAt: now))
            }
            let visible = try await documents.list(.networks, NetworkDocumentQuery(projectIDs: ["p"], orDeviceIDs: ["shared"]))
            #expect(visible.map(\.id) == ["n1", "n2", "n4"])
            let page = try await documents.list(.networks, NetworkDocumentQuery(afterID: "n1", limit: 2))
            #expect(page.map(\.id) == ["n2", "n3"])
            guard var doc = try await documents.get(.networks, id: "n1") else { throw StoreError.notFound("n1") }
            doc.revision = 2
            doc.body = "{\"name\":\"x\"}"
            #expect(try await documents.update(.networks, doc, expectedRevision: 1))
            #expect(try await documents.update(.networks, doc, expectedRevision: 1) == false)
            #expect(try await documents.get(.networks, id: "n1")?.body == "{\"name\":\"x\"}")
        }
    }
}
