import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Compute quotas")
struct QuotaStoreTests {
    @Test("overrides are set per project and reset; server usage counts created routings only", arguments: TestDatabases.backends)
    func overridesAndUsage(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let quotas = QuotaStore(store: store)
            try await quotas.set(projectID: "p1", limits: ["instances": 5, "cores": -1])
            try await quotas.set(projectID: "p1", limits: ["instances": 7])
            #expect(try await quotas.overrides(projectID: "p1") == ["instances": 7, "cores": -1])
            #expect(try await quotas.overrides(projectID: "p2").isEmpty)
            try await quotas.reset(projectID: "p1")
            #expect(try await quotas.overrides(projectID: "p1").isEmpty)

            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let routings = RoutingStore(store: store)
            _ = try await routings.create(topID: "s1", bottomID: "s1", podID: pod.podID, projectID: "p1", resourceType: .server)
            _ = try await routings.create(topID: "s2", bottomID: "s2", podID: pod.podID, projectID: "p1", resourceType: .server)
            _ = try await routings.create(topID: "v1", bottomID: "v1", podID: pod.podID, projectID: "p1", resourceType: .volume)
            _ = try await routings.create(topID: "s3", bottomID: "s3", podID: pod.podID, projectID: "p2", resourceType: .server)
            #expect(try await quotas.serverCount(projectID: "p1") == 2)
        }
    }
}
