import Foundation
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Resource routings")
struct RoutingStoreTests {
    @Test("lookup is scoped to the caller's project", arguments: TestDatabases.backends)
    func projectScope(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let routings = RoutingStore(store: store)
            _ = try await routings.create(topID: "srv", bottomID: "srv", podID: pod.podID, projectID: "p1", resourceType: .server)
            #expect(try await routings.lookup(topID: "srv", resourceType: .server, projectID: "p1").count == 1)
            #expect(try await routings.lookup(topID: "srv", resourceType: .server, projectID: "p2").isEmpty)
            #expect(try await routings.lookup(topID: "srv", resourceType: .volume, projectID: "p1").isEmpty)
            #expect(try await routings.lookup(topID: "srv", resourceType: .server, projectID: nil).count == 1)
        }
    }

    @Test("the create-lock admits one creator; others see busy, then exists", arguments: TestDatabases.backends)
    func createLock(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let routings = RoutingStore(store: store)
            let results = try await withThrowingTaskGroup(of: CreateLockResult.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await routings.acquireCreateLock(
                            topID: "net", podID: pod.podID, projectID: "p", resourceType: .network, staleAfterSeconds: 30)
                    }
                }
                return try await group.reduce(into: [CreateLockResult]()) { $0.append($1) }
            }
            let acquired = results.compactMap { if case .acquired(let r) = $0 { return r } else { return nil } }
            #expect(acquired.count == 1)
            #expect(results.filter { if case .busy = $0 { return true } else { return false } }.count == 9)
            let lock = try #require(acquired.first)
            _ = try await routings.complete(lockID: lock.id, bottomID: "bottom-net")
            let again = try await routings.acquireCreateLock(
                topID: "net", podID: pod.podID, projectID: "p", resourceType: .network, staleAfterSeconds: 30)
            guard case .exists(let row) = again else { Issue.record("expected exists, got \(again)"); return }
            #expect(row.bottomID == "bottom-net")
        }
    }

    @Test("a lock older than the deadline is reported stale, and release lets the next caller in", arguments: TestDatabases.backends)
    func staleLock(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let routings = RoutingStore(store: store)
            guard case .acquired(let lock) = try await routings.acquireCreateLock(
                topID: "port", podID: pod.podID, projectID: "p", resourceType: .port, staleAfterSeconds: 30)
            else { Issue.record("first caller must acquire"); return }
            // Age the row instead of sleeping.
            let old = Timestamp.format(Date().addingTimeInterval(-120))
            try await store.transaction { db in
                try await db.raw("UPDATE resource_routings SET updated_at = \(bind: old) WHERE id = \(bind: lock.id)").run()
            }
            let second = try await routings.acquireCreateLock(
                topID: "port", podID: pod.podID, projectID: "p", resourceType: .port, staleAfterSeconds: 30)
            guard case .stale(let row) = second else { Issue.record("expected stale, got \(second)"); return }
            try await routings.release(lockID: row.id)
            let third = try await routings.acquireCreateLock(
                topID: "port", podID: pod.podID, projectID: "p", resourceType: .port, staleAfterSeconds: 30)
            guard case .acquired = third else { Issue.record("expected acquired, got \(third)"); return }
        }
    }

    @Test("paging newest first with a marker returns every row once", arguments: TestDatabases.backends)
    func paging(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let routings = RoutingStore(store: store)
            var created: [String] = []
            for i in 0..<23 {
                created.append(try await routings.create(
                    topID: "t\(i)", bottomID: "b\(i)", podID: pod.podID, projectID: "p", resourceType: .volume).id)
            }
            var seen: [String] = []
            var marker: String?
            repeat {
                let page = try await routings.list(limit: 5, marker: marker)
                seen += page.map(\.id)
                marker = page.count == 5 ? page.last?.id : nil
            } while marker != nil
            #expect(seen.count == 23)
            #expect(Set(seen) == Set(created))
            let filtered = try await routings.list(filter: RoutingFilter(topID: "t7"), limit: 10)
            #expect(filtered.map(\.topID) == ["t7"])
            await #expect(throws: StoreError.self) { try await routings.list(limit: 5, marker: "no-such-id") }
        }
    }

    @Test("a routing for an unknown pod is refused", arguments: TestDatabases.backends)
    func unknownPod(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            await #expect(throws: StoreError.self) {
                try await RoutingStore(store: store).create(
                    topID: "x", bottomID: nil, podID: "missing", projectID: "p", resourceType: .server)
            }
        }
    }
}
