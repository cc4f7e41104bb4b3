import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Pods")
struct PodStoreTests {
    @Test("a second top pod and a duplicate region are conflicts; nothing extra is stored", arguments: TestDatabases.backends)
    func conflicts(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pods = PodStore(store: store)
            let top = try await pods.create(regionName: "RegionTop", azName: "")
            #expect(top.isTop)
            _ = try await pods.create(regionName: "RegionOne", azName: "az1", podAZName: "nova")
            await #expect(throws: StoreError.self) { try await pods.create(regionName: "RegionOther", azName: "") }
            await #expect(throws: StoreError.self) { try await pods.create(regionName: "RegionOne", azName: "az9") }
            let all = try await pods.list()
            #expect(all.map(\.regionName) == ["RegionTop", "RegionOne"])
            #expect(all[1].bottomAZ == "nova")
        }
    }

    @Test("names with SQL metacharacters are stored and found as plain data", arguments: TestDatabases.backends)
    func metacharacters(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pods = PodStore(store: store)
            let name = "R'; DROP TABLE pods; --"
            let pod = try await pods.create(regionName: name, azName: "az'1")
            #expect(try await pods.get(regionName: name)?.podID == pod.podID)
            #expect(try await pods.list().count == 1)
        }
    }

    @Test("a pod that still holds routings cannot be deleted", arguments: TestDatabases.backends)
    func deleteInUse(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pods = PodStore(store: store)
            let pod = try await pods.create(regionName: "RegionOne", azName: "az1")
            let routing = try await RoutingStore(store: store).create(
                topID: "t1", bottomID: "b1", podID: pod.podID, projectID: "p", resourceType: .server)
            await #expect(throws: StoreError.self) { try await pods.delete(pod.podID) }
            #expect(try await RoutingStore(store: store).delete(routing.id))
            #expect(try await pods.delete(pod.podID))
            #expect(try await pods.delete(pod.podID) == false)
        }
    }
}
