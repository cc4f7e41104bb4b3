import Foundation
import SQLKit
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@_spi(Benchmarks) @testable import TricircleJobs

/// `JobEngine.lostJobs` / `requeueLost`, the job side of `tricircle audit`.
@Suite struct JobAuditTests {
    @Test("lost: a dead worker's expired lease, a job never due, one given up because its workers died, an unknown type; not: a live lease, a handler's own failure",
          arguments: TestDatabases.backends)
    func findsAndRequeuesLostJobs(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let registry = JobHandlerRegistry()
            registry.register(type: "noop", resourceKeys: ["resource_id"]) { _, _ in }
            let engine = makeEngine(store, registry, testConfig(workers: 0))
            func submit(_ id: String) async throws -> Job {
                try await engine.submit(type: "noop", projectID: "p", resource: ["resource_id": id])
            }
            func set(_ id: String, _ assignments: String) async throws {
                try await store.read { db in try await db.raw("UPDATE jobs SET \(unsafeRaw: assignments) WHERE id = \(bind: id)").run() }
            }
            let dead = try await submit("dead-worker")
            #expect(try await engine.claim(worker: "killed")?.id == dead.id)
            // Not lost: a job its worker holds right now.
            let live = try await submit("live")
            #expect(try await engine.claim(worker: "alive")?.id == live.id)
            // Its lease stays live however slowly this test runs (a loaded machine took 25 s); the grace is an
            // hour so that nothing this test re-queued can look lost again before it checks.
            try await set(live.id, "next_run_at = '2999-01-01T00:00:00.000000Z', lease_expires_at = '2999-01-01T00:00:00.000000Z'")
            try await set(dead.id, "next_run_at = '2001-01-01T00:00:00.000000Z', lease_expires_at = '2001-01-01T00:00:00.000000Z'")
            let neverDue = try await submit("never-due")
            try await set(neverDue.id, "next_run_at = NULL")
            let gaveUp = try await submit("gave-up")
            try await set(gaveUp.id, """
                status = 'failed', next_run_at = NULL, attempts = max_attempts,
                last_error = 'worker w lost its lease (stopped or stalled) during attempt 3; no attempts left'
                """)
            let retired = JobHandlerRegistry()
            retired.register(type: "retired", resourceKeys: ["resource_id"]) { _, _ in }
            let unknown = try await makeEngine(store, retired).submit(type: "retired", projectID: "p", resource: ["resource_id": "x"])
            // Not lost either: a job its handler failed for good.
            let failed = try await submit("failed")
            try await set(failed.id, "status = 'failed', next_run_at = NULL, last_error = 'the pod said no'")

            let lost = try await engine.lostJobs(graceSeconds: 3600)
            #expect(Set(lost.map(\.job.id)) == [dead.id, neverDue.id, gaveUp.id, unknown.id])
            #expect(!lost.map(\.job.id).contains(live.id))
            #expect(lost.first { $0.job.id == unknown.id }?.requeueable == false)

            for job in lost {
                #expect(try await engine.requeueLost(job, graceSeconds: 3600) == job.requeueable)
                // Twice is harmless: the second finds nothing left to do.
                #expect(try await engine.requeueLost(job, graceSeconds: 3600) == false)
            }
            #expect(try await engine.lostJobs(graceSeconds: 3600).map(\.job.id) == [unknown.id])
            // All three are due now and claimable; the killed run is not counted as an attempt.
            var claimed: [Job] = []
            while let job = try await engine.claim(worker: "next") { claimed.append(job) }
            #expect(Set(claimed.map(\.id)) == [dead.id, neverDue.id, gaveUp.id])
            #expect(claimed.first { $0.id == dead.id }?.attempts == 1)
            #expect(claimed.first { $0.id == gaveUp.id }?.attempts == 1)
        }
    }
}
