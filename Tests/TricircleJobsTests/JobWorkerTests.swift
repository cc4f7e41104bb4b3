import Foundation
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@_spi(Benchmarks) @testable import TricircleJobs

@Suite struct JobWorkerTests {
    @Test(arguments: TestDatabases.backends)
    func hundredSubmitsDuringARunCauseExactlyOneMoreRun(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            // A long lease: this test is about coalescing, not take-overs, even on a loaded machine.
            let engine = makeEngine(store, makeRegistry(probe), testConfig(workers: 3, lease: 60))
            let resource = ["resource_id": "router-1"]
            try await withPool(engine) {
                let first = try await engine.submit(type: "gate", projectID: "p1", resource: resource)
                try await eventually("the first run to start") { probe.runs("router-1") == 1 }
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<100 {
                        group.addTask { try await engine.submit(type: "gate", projectID: "p1", resource: resource).id }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(ids.count == 1)
                #expect(!ids.contains(first.id))
                probe.release()
                let followUp = try #require(ids.first)
                try await eventually("both jobs to succeed") {
                    let a = try await engine.get(first.id).status, b = try await engine.get(followUp).status
                    return a == .success && b == .success
                }
            }
            #expect(probe.runs("router-1") == 2)
            #expect(probe.maxActive == 1)
            #expect(try await jobCount(store) == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func severalWorkersNeverRunOneResourceAtOnce(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe), testConfig(workers: 4, lease: 10))
            let resources = (0..<3).map { "r\($0)" }
            try await withPool(engine) {
                for round in 0..<40 {
                    try await engine.submit(type: "work", projectID: "p1", resource: ["resource_id": resources[round % 3]])
                    if round % 4 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                }
                try await eventually("every job to finish") {
                    let queued = try await engine.list(filter: JobFilter(status: .new))
                    let running = try await engine.list(filter: JobFilter(status: .running))
                    return queued.isEmpty && running.isEmpty
                }
            }
            #expect(probe.maxActive == 1)
            #expect(try await engine.list(limit: 1000).allSatisfy { $0.status == .success })
            #expect(probe.totalRuns >= 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func failingJobRetriesWithBackoffThenStaysFailed(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = makeEngine(store, makeRegistry(Probe()), testConfig(maxAttempts: 3))
            let job = try await engine.submit(type: "always_fails", projectID: "p1", resource: ["resource_id": "x"])
            let permanent = try await engine.submit(type: "permanent", projectID: "p1", resource: ["resource_id": "x"])
            try await withPool(engine) {
                try await eventually("both jobs to give up") {
                    let a = try await engine.get(job.id), b = try await engine.get(permanent.id)
                    return a.status == .failed && !a.willRetry && b.status == .failed && !b.willRetry
                }
            }
            let failed = try await engine.get(job.id)
            #expect(failed.attempts == 3)
            #expect(failed.lastError == "region unreachable")
            #expect(failed.nextRunAt == nil && failed.leaseOwner == nil)
            let runs = try await engine.runs(of: job.id)
            #expect(runs.map(\.outcome) == ["failed", "failed", "failed"])
            #expect(Set(runs.map(\.attempt)) == [1, 2, 3])
            let gaveUp = try await engine.get(permanent.id)
            #expect(gaveUp.attempts == 1)
            #expect(gaveUp.lastError == "resource is gone")
            let stats = try await engine.stats()
            #expect(stats.runs.first { $0.type == "always_fails" }?.failed == 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func redoRunsAFailedJobAgainWithAttemptsReset(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe), testConfig(maxAttempts: 2))
            probe.failNext(2)
            let job = try await engine.submit(type: "work", projectID: "p1", resource: ["resource_id": "x"])
            try await withPool(engine) {
                try await eventually("the job to give up") {
                    let j = try await engine.get(job.id)
                    return j.status == .failed && !j.willRetry
                }
                let redone = try await engine.redo(job.id)
                #expect(redone.id == job.id)
                #expect(redone.attempts == 0)
                try await eventually("the redone job to succeed") { try await engine.get(job.id).status == .success }
            }
            let done = try await engine.get(job.id)
            #expect(done.attempts == 1)
            #expect(done.lastError == nil)
            #expect(try await engine.runs(of: job.id).map(\.outcome) == ["success", "failed", "failed"])
            #expect(probe.runs("x") == 3)

            // Redo of a finished job whose resource is already queued joins the queued job.
            let queued = try await engine.submit(type: "work", projectID: "p1", resource: ["resource_id": "x"])
            #expect(try await engine.redo(job.id).id == queued.id)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func stoppingWorkerHandsBackAJobPastTheGracePeriod(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe), testConfig(workers: 1, lease: 30, grace: 0.1))
            let job = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "g"])
            try await withPool(engine, name: "stopping") {
                try await eventually("the job to start") { probe.runs("g") == 1 }
            }
            // The pool has returned: the job is ownerless, due now, and this run did not count.
            let handedBack = try await engine.get(job.id)
            #expect(handedBack.status == .running)
            #expect(handedBack.leaseOwner == nil)
            #expect(handedBack.attempts == 0)
            #expect(try await engine.runs(of: job.id).map(\.outcome) == ["handed_back"])

            probe.release()
            try await withPool(engine, name: "next") {
                try await eventually("another worker to finish the job") { try await engine.get(job.id).status == .success }
            }
            #expect(probe.runs("g") == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func stoppingWorkerFinishesAJobWithinTheGracePeriod(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe), testConfig(workers: 1, grace: 30))
            let job = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "g"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await JobWorkerPool(engine: engine, name: "graceful").run() }
                try await eventually("the job to start") { probe.runs("g") == 1 }
                group.cancelAll()
                try await Task.sleep(for: .milliseconds(50))
                probe.release()
                try await group.waitForAll()
            }
            #expect(try await engine.get(job.id).status == .success)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func jobOfAWorkerThatStoppedRenewingIsTakenOverAfterItsLeaseExpires(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            probe.release()
            let registry = makeRegistry(probe)
            // The doomed claim gets a short lease; the surviving workers a long one, so a loaded machine
            // cannot make them lose theirs too.
            let doomedEngine = makeEngine(store, registry, testConfig(lease: 0.3))
            let engine = makeEngine(store, registry, testConfig(lease: 10))
            let job = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "k"])
            // A claim by a worker that then "dies": nobody renews or finishes it.
            let claimed = try #require(try await doomedEngine.claim(worker: "doomed"))
            #expect(claimed.id == job.id && claimed.leaseOwner?.hasPrefix("doomed/") == true)
            try await withPool(engine) {
                try await eventually("the job to be taken over and finished") { try await engine.get(job.id).status == .success }
            }
            let runs = try await engine.runs(of: job.id)
            #expect(Set(runs.map(\.outcome)) == ["lost", "success"])
            #expect(try await engine.get(job.id).attempts == 2)
            // The dead worker's late finish must not overwrite the new owner's result.
            await engine.finish(claimed, ending: .failure(TestFailure(message: "late")), worker: "doomed", seconds: 0)
            #expect(try await engine.get(job.id).status == .success)
            let after = try await engine.runs(of: job.id)
            #expect(after.first?.outcome == "lease_lost", "\(after)")
        }
    }
    @Test(arguments: TestDatabases.backends)
    func stoppingPoolsMidClaimLeaveTheStoreUsable(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe), testConfig(workers: 8, grace: 0.05))
            for round in 0..<5 {
                for i in 0..<40 {
                    try await engine.submit(type: "work", projectID: "p1", resource: ["resource_id": "r\(round)-\(i)"])
                }
                // Cancel while workers are busy claiming and finishing.
                try await withPool(engine) { try await Task.sleep(for: .milliseconds(Int.random(in: 5...40))) }
                _ = try await engine.list(limit: 1)
            }
            try await withPool(engine) {
                try await eventually("every job to finish") {
                    let open = try await engine.list(filter: JobFilter(status: .new)) + engine.list(filter: JobFilter(status: .running))
                    return open.isEmpty
                }
            }
            #expect(try await engine.list(limit: 1000).allSatisfy { $0.status == .success })
        }
    }
    @Test(arguments: TestDatabases.backends)
    func typedHandlerGetsItsPayloadAndItsProgressIsStored(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe))
            let job = try await engine.submit(
                RouterSetupHandler.self, projectID: "p1", payload: RouterPayload(router_id: "r9", pod_id: "pod-a"))
            try await withPool(engine) {
                try await eventually("the job to succeed") { try await engine.get(job.id).status == .success }
            }
            let done = try await engine.get(job.id)
            #expect(done.progress == JobProgress(done: 1, total: 1, note: "configured pod-a"))
            #expect(done.resource == ["router_id": "r9", "pod_id": "pod-a"])
            #expect(probe.runs("r9") == 1)
            #expect(try await engine.stats().runs.first { $0.type == "router_setup" }?.succeeded == 1)
        }
    }

    @Test func poolWithoutWorkersRunsUntilCancelled() async throws {
        try await TestDatabases.withStore(.sqlite) { store in
            let engine = makeEngine(store, makeRegistry(Probe()), testConfig(workers: 0))
            let job = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "z"])
            let returned = Probe()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await JobWorkerPool(engine: engine).run()
                    returned.release()
                }
                try await Task.sleep(for: .milliseconds(50))
                #expect(!returned.released, "a pool without workers must wait for cancellation, not return")
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(returned.released)
            #expect(try await engine.get(job.id).status == .new)
        }
    }
    @Test func runWhoseRenewalsStallIsStoppedBeforeItsLeaseRunsOut() async throws {
        // SQLite runs one session at a time, so a long transaction starves the worker's renewals.
        try await TestDatabases.withStore(.sqlite) { store in
            let probe = Probe()
            let engine = makeEngine(store, makeRegistry(probe), testConfig(workers: 2, lease: 0.6, maxAttempts: 5))
            let job = try await engine.submit(type: "watched", projectID: "p1", resource: ["resource_id": "w"])
            try await withPool(engine) {
                try await eventually("the run to start") { probe.runs("w") == 1 }
                try await store.transaction { _ in try await Task.sleep(for: .seconds(1)) }
                try await eventually("the watchdog to cancel the run") { probe.cancellations >= 1 }
                probe.release()
                try await eventually("the job to succeed on a later run") { try await engine.get(job.id).status == .success }
            }
            #expect(probe.maxActive == 1)
            let outcomes = try await engine.runs(of: job.id).map(\.outcome)
            #expect(outcomes.first == "success")
            #expect(outcomes.count >= 2)
        }
    }
    @Test(arguments: TestDatabases.backends)
    func jobThatLosesItsLeaseOnItsLastAttemptStaysFailed(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let probe = Probe()
            probe.release()
            let registry = makeRegistry(probe)
            let doomedEngine = makeEngine(store, registry, testConfig(lease: 0.3, maxAttempts: 1))
            let engine = makeEngine(store, registry, testConfig(lease: 10, maxAttempts: 1))
            let job = try await engine.submit(type: "gate", projectID: "p1", resource: ["resource_id": "last"])
            _ = try #require(try await doomedEngine.claim(worker: "doomed"))
            try await withPool(engine) {
                try await eventually("the job to be given up") {
                    let j = try await engine.get(job.id)
                    return j.status == .failed && !j.willRetry
                }
            }
            let failed = try await engine.get(job.id)
            #expect(failed.attempts == 1)
            #expect(failed.lastError?.hasSuffix("no attempts left") == true)
            #expect(try await engine.runs(of: job.id).map(\.outcome) == ["lost"])
            #expect(probe.runs("last") == 0)
        }
    }
}
