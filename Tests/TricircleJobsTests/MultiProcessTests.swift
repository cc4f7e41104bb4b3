import Foundation
import Synchronization
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@_spi(Benchmarks) @testable import TricircleJobs

/// Worker processes (Tests/Fixtures/JobWorkerFixture) sharing one PostgreSQL database.
enum WorkerProcesses {
    /// The fixture binary next to the test bundle (built by `swift build --build-tests` / `swift test`).
    static var fixturePath: String? {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("JobWorkerFixture").path,
            packageRoot.appendingPathComponent(".build/debug/JobWorkerFixture").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool { TestDatabases.postgresURL != nil && fixturePath != nil }

    static func start(url: String, workers: Int, lease: Double) throws -> ChildProcess {
        try ChildProcess(path: fixturePath ?? "/nonexistent", arguments: [url, String(workers), String(lease)])
    }

    /// SIGTERM (graceful) and wait, for every process still running.
    static func stop(_ processes: [ChildProcess]) {
        for process in processes { process.terminate() }
        for process in processes { process.waitUntilExit() }
    }

    static func createFixtureTables(_ store: StateStore, resources: [String]) async throws {
        try await store.transaction { db in
            try await db.raw("CREATE TABLE fixture_active (resource_id TEXT PRIMARY KEY, active INTEGER NOT NULL)").run()
            try await db.raw("CREATE TABLE fixture_violations (job_id TEXT NOT NULL, pid INTEGER NOT NULL)").run()
            try await db.raw("CREATE TABLE fixture_runs (job_id TEXT NOT NULL, pid INTEGER NOT NULL, event TEXT NOT NULL)").run()
            for resource in resources {
                try await db.raw("INSERT INTO fixture_active (resource_id, active) VALUES (\(bind: resource), 0)").run()
            }
        }
    }

    /// The submitting side only needs the schemas; the fixture processes run the handlers.
    static func registry() -> JobHandlerRegistry {
        let registry = JobHandlerRegistry()
        registry.register(type: "fixture.overlap", resourceKeys: ["resource_id"]) { _, _ in }
        registry.register(type: "fixture.slow", resourceKeys: ["resource_id"]) { _, _ in }
        return registry
    }
}

@Suite(.enabled(if: WorkerProcesses.available, "needs TRICIRCLE_TEST_POSTGRES_URL and the JobWorkerFixture binary"))
struct MultiProcessTests {
    @Test func workerProcessesNeverRunOneJobOrResourceAtOnce() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 4)
        try await store.migrate()
        let resources = (0..<4).map { "shared-\($0)" } + (0..<60).map { "single-\($0)" }
        try await WorkerProcesses.createFixtureTables(store, resources: resources)
        let engine = makeEngine(store, WorkerProcesses.registry())
        let processes = try (0..<3).map { _ in try WorkerProcesses.start(url: url, workers: 3, lease: 2) }
        defer { WorkerProcesses.stop(processes) }

        var singles: [String] = []
        for i in 0..<60 {
            // Repeated submissions for a few shared resources (coalesced, locked) between one-off jobs.
            try await engine.submit(type: "fixture.overlap", projectID: "p", resource: ["resource_id": "shared-\(i % 4)"])
            singles.append(try await engine.submit(type: "fixture.overlap", projectID: "p", resource: ["resource_id": "single-\(i)"]).id)
            if i % 10 == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await eventually("every job to finish", within: 30) {
            let open = try await store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'success'").first()?.decode(column: "n", as: Int.self) ?? -1
            }
            return open == 0
        }
        let violations = try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM fixture_violations").first()?.decode(column: "n", as: Int.self) ?? -1
        }
        #expect(violations == 0)
        let runsPerSingle = try await store.read { db in
            try await db.raw("""
                SELECT job_id, COUNT(*) AS n FROM fixture_runs GROUP BY job_id
                """).all().reduce(into: [String: Int]()) {
                    $0[try $1.decode(column: "job_id", as: String.self)] = try $1.decode(column: "n", as: Int.self)
                }
        }
        #expect(singles.allSatisfy { runsPerSingle[$0] == 1 })
        let pids = try await store.read { db in
            try await db.raw("SELECT COUNT(DISTINCT pid) AS n FROM fixture_runs").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        #expect(pids >= 2, "the work should have been shared by several processes")
        WorkerProcesses.stop(processes)
        try await store.close()
    }

    @Test func jobOfAKilledWorkerProcessCompletesAfterTheLeaseExpires() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 4)
        try await store.migrate()
        try await WorkerProcesses.createFixtureTables(store, resources: [])
        let engine = makeEngine(store, WorkerProcesses.registry())
        let processes = try (0..<2).map { _ in try WorkerProcesses.start(url: url, workers: 1, lease: 1) }
        defer { WorkerProcesses.stop(processes) }

        let job = try await engine.submit(type: "fixture.slow", projectID: "p", resource: ["resource_id": "image-1"])
        let firstPID = try await firstStart(of: job.id, in: store)
        let victim = try #require(processes.first { Int($0.pid) == firstPID })
        kill(victim.pid, SIGKILL)
        victim.waitUntilExit()

        try await eventually("the job to complete in the surviving process", within: 30) {
            try await engine.get(job.id).status == .success
        }
        let events = try await store.read { db in
            try await db.raw("SELECT pid, event FROM fixture_runs WHERE job_id = \(bind: job.id)").all().map {
                (try $0.decode(column: "pid", as: Int.self), try $0.decode(column: "event", as: String.self))
            }
        }
        #expect(events.filter { $0.1 == "finished" }.map(\.0) .allSatisfy { $0 != firstPID })
        #expect(events.contains { $0.0 == firstPID && $0.1 == "started" })
        let outcomes = try await engine.runs(of: job.id).map(\.outcome)
        #expect(outcomes.first == "success" && outcomes.contains("lost"), "\(outcomes)")
        WorkerProcesses.stop(processes)
        try await store.close()
    }

    private func firstStart(of jobID: String, in store: StateStore) async throws -> Int {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let pid = try await store.read { db in
                try await db.raw("SELECT pid FROM fixture_runs WHERE job_id = \(bind: jobID) AND event = 'started'")
                    .first()?.decode(column: "pid", as: Int.self) ?? 0
            }
            if pid != 0 { return pid }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimedOut(what: "a worker process to start the job")
    }
}

/// A child started with posix_spawn, stdout to /dev/null. Not Foundation's Process: its run() on Swift 6.3.1
/// for Linux crashes now and then (an over-read while scanning /proc/self/fd, swift-corelibs-foundation#5472),
/// which took the whole test process down.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let reaped = Mutex(false)

    init(path: String, arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw SpawnFailed(path: path, code: rc) }
        pid = child
    }

    /// SIGTERM unless already reaped.
    func terminate() { if !reaped.withLock({ $0 }) { kill(pid, SIGTERM) } }

    /// Waits for the child (once; later calls return at once).
    func waitUntilExit() {
        guard !reaped.withLock({ $0 }) else { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        reaped.withLock { $0 = true }
    }

    struct SpawnFailed: Error { let path: String; let code: Int32 }
}
