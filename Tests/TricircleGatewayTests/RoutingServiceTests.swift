import Foundation
import Synchronization
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

@Suite("Routing service")
struct RoutingServiceTests {
    @Test("concurrent ensure calls create the bottom resource exactly once", arguments: TestDatabases.backends)
    func ensureOnce(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let service = RoutingService(store: store)
            let creates = CreateCounter()
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await service.ensure(
                            topID: "net-1", type: .network, podID: pod.podID, projectID: "p",
                            findExisting: { nil },
                            create: {
                                creates.increment()
                                try await Task.sleep(for: .milliseconds(50))
                                return "bottom-net-1"
                            })
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(creates.value == 1)
            #expect(Set(ids) == ["bottom-net-1"])
            #expect(try await service.resolve(topID: "net-1", type: .network, podID: pod.podID, projectID: "p")?.bottomID == "bottom-net-1")
        }
    }

    @Test("a stale create-lock is adopted when the pod already has the resource, so nothing is orphaned", arguments: TestDatabases.backends)
    func adoptStale(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let service = RoutingService(store: store, staleLockSeconds: 30)
            // A creator that died after the pod accepted its create: its lock row is old and empty.
            guard case .acquired(let lock) = try await service.routings.acquireCreateLock(
                topID: "port-1", podID: pod.podID, projectID: "p", resourceType: .port, staleAfterSeconds: 30)
            else { Issue.record("lock"); return }
            let old = Timestamp.format(Date().addingTimeInterval(-300))
            try await store.transaction { db in
                try await db.raw("UPDATE resource_routings SET updated_at = \(bind: old) WHERE id = \(bind: lock.id)").run()
            }
            let bottom = try await service.ensure(
                topID: "port-1", type: .port, podID: pod.podID, projectID: "p",
                findExisting: { "found-by-name" },
                create: { Issue.record("must adopt, not create"); return "new" })
            #expect(bottom == "found-by-name")
            #expect(try await service.routings.lookup(topID: "port-1", resourceType: .port, projectID: nil).count == 1)
        }
    }

    @Test("a failed create releases the lock, and the next caller may try again", arguments: TestDatabases.backends)
    func failedCreateReleases(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let service = RoutingService(store: store)
            struct PodSaidNo: Error {}
            await #expect(throws: PodSaidNo.self) {
                try await service.ensure(topID: "sg-1", type: .securityGroup, podID: pod.podID, projectID: "p",
                                         findExisting: { nil }, create: { throw PodSaidNo() })
            }
            let second = try await service.ensure(topID: "sg-1", type: .securityGroup, podID: pod.podID, projectID: "p",
                                                  findExisting: { nil }, create: { "sg-bottom" })
            #expect(second == "sg-bottom")
        }
    }

    @Test("another project's resource resolves to nothing; admins (no project) see it", arguments: TestDatabases.backends)
    func projectScope(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let service = RoutingService(store: store)
            try await service.record(topID: "srv", bottomID: "srv", podID: pod.podID, projectID: "p1", type: .server)
            #expect(try await service.resolveOne(topID: "srv", type: .server, projectID: "p1") != nil)
            // Served from the cache now, and still scoped.
            #expect(try await service.resolveOne(topID: "srv", type: .server, projectID: "p2") == nil)
            #expect(try await service.resolveOne(topID: "srv", type: .server, projectID: nil) != nil)
            try await service.forget(topID: "srv", type: .server)
            #expect(try await service.resolveOne(topID: "srv", type: .server, projectID: "p1") == nil)
        }
    }
}

/// Counts bottom creates across concurrent callers.
final class CreateCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
