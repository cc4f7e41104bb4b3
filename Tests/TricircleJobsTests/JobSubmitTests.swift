import Foundation
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@_spi(Benchmarks) @testable import TricircleJobs

@Suite struct JobSubmitTests {
    @Test(arguments: TestDatabases.backends)
    func jobSubmittedInRolledBackTransactionDoesNotExist(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = makeEngine(store, makeRegistry(Probe()))
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await store.transaction { db in
                    try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "r1"], in: db)
                    throw Abort()
                }
            }
            #expect(try await jobCount(store) == 0)

            let committed = try await store.transaction { db in
                try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "r1"], in: db)
            }
            #expect(try await engine.get(committed.id).status == .new)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func submitsForAQueuedResourceReturnTheQueuedJob(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = makeEngine(store, makeRegistry(Probe()))
            let first = try await engine.submit(
                RouterSetupHandler.self, projectID: "p1", payload: RouterPayload(router_id: "r1", pod_id: "pod1"))
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await engine.submit(type: "router_setup", projectID: "p1",
                                                resource: ["pod_id": "pod1", "router_id": "r1"]).id
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids == [first.id])
            let other = try await engine.submit(type: "router_setup", projectID: "p1", resource: ["pod_id": "pod2", "router_id": "r1"])
            #expect(other.id != first.id)
            #expect(try await jobCount(store) == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func badSubmissionsGetTypedErrorsAndStoreNothing(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = makeEngine(store, makeRegistry(Probe()))
            await #expect(throws: JobError.unknownType("nope")) {
                try await engine.submit(type: "nope", projectID: "p1", resource: ["resource_id": "r"])
            }
            await #expect(throws: JobError.invalidResource(type: "router_setup", missing: ["pod_id"], extra: [])) {
                try await engine.submit(type: "router_setup", projectID: "p1", resource: ["router_id": "r"])
            }
            await #expect(throws: JobError.invalidResource(type: "router_setup", missing: [], extra: ["port_id", "zone"])) {
                try await engine.submit(type: "router_setup", projectID: "p1",
                                        resource: ["router_id": "r", "pod_id": "x", "zone": "z", "port_id": "p"])
            }
            await #expect(throws: JobError.invalidPayload("resource key 'router_id' is empty")) {
                try await engine.submit(type: "router_setup", projectID: "p1", resource: ["router_id": "", "pod_id": "x"])
            }
            let stored = try await jobCount(store)
            #expect(stored == 0)
            #expect(engine.schemas().first { $0.type == "router_setup" }?.resource == ["pod_id", "router_id"])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func listFiltersAndPagesNewestFirst(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = makeEngine(store, makeRegistry(Probe()))
            var submitted: [String] = []
            for i in 0..<7 {
                let job = try await engine.submit(type: "gate", projectID: i % 2 == 0 ? "even" : "odd",
                                                  resource: ["resource_id": "r\(i)"])
                submitted.append(job.id)
            }
            var paged: [String] = []
            var marker: String?
            repeat {
                let page = try await engine.list(limit: 3, marker: marker)
                paged += page.map(\.id)
                marker = page.count == 3 ? page.last?.id : nil
            } while marker != nil
            #expect(paged == submitted.reversed())
            #expect(try await engine.list(filter: JobFilter(projectID: "odd")).count == 3)
            #expect(try await engine.list(filter: JobFilter(type: "gate", status: .new, projectID: "even")).count == 4)
            #expect(try await engine.list(filter: JobFilter(status: .failed)).isEmpty)
            await #expect(throws: JobError.notFound("missing")) { try await engine.list(marker: "missing") }
            let stats = try await engine.stats()
            #expect(stats.queue == [JobQueueDepth(type: "gate", status: .new, count: 7)])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func deleteRemovesAJobButRefusesARunningOne(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = makeEngine(store, makeRegistry(Probe()))
            let queued = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "a"])
            try await engine.delete(queued.id)
            await #expect(throws: JobError.notFound(queued.id)) { try await engine.get(queued.id) }
            await #expect(throws: JobError.notFound(queued.id)) { try await engine.delete(queued.id) }

            let job = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "b"])
            let claimed = try #require(try await engine.claim(worker: "test"))
            #expect(claimed.id == job.id)
            await #expect(throws: JobError.running(job.id)) { try await engine.delete(job.id) }
            await #expect(throws: JobError.running(job.id)) { try await engine.redo(job.id) }
            #expect(try await engine.get(job.id).status == .running)
        }
    }
}
