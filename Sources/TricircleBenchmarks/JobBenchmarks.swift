import Foundation
import Logging
import Synchronization
import TricircleCore
@_spi(Benchmarks) import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// Job engine throughput (jobs/s with a no-op handler, by worker count) and claim latency at a deep queue,
/// on SQLite and (when `postgresURL` is given) PostgreSQL. Each measurement uses a new database.
/// `jobs`: jobs per throughput run; `queueDepth`: queued jobs behind the claims (100k for the record,
/// less for a quick run); `claims`: claims sampled at that depth.
func runJobBenchmarks(
    postgresURL: String?, jobs: Int = 5000, workerCounts: [Int] = [1, 4, 16], queueDepth: Int = 100_000,
    claims: Int = 2000
) async throws {
    var backends: [StoreBackend] = [.sqlite]
    if let postgresURL {
        setenv("TRICIRCLE_TEST_POSTGRES_URL", postgresURL, 1)
        backends.append(.postgres)
    }
    let widths = [8, 8, 7, 12, 12, 34]
    print("Job engine throughput (no-op handler, \(jobs) jobs, distinct resources)")
    print(row(["backend", "workers", "jobs", "submit/s", "run jobs/s", "submit latency"], widths: widths))
    for backend in backends {
        for workers in workerCounts {
            let result = try await JobBench.throughput(backend: backend, jobs: jobs, workers: workers)
            print(row([backend.rawValue, "\(workers)", "\(jobs)", String(format: "%.0f", result.submitRate),
                       String(format: "%.0f", result.runRate), result.submitLatency.summary], widths: widths))
        }
    }
    print("")
    print("Claim latency with \(queueDepth) queued jobs (\(claims) sequential claims by one worker, each then finished)")
    let claimWidths = [8, 9, 8, 34, 10, 16]
    print(row(["backend", "queued", "fill", "claim latency", "claims/s", "jobs/s (4 workers)"], widths: claimWidths))
    for backend in backends {
        let result = try await JobBench.claimLatency(backend: backend, depth: queueDepth, claims: claims)
        print(row([backend.rawValue, "\(queueDepth)", String(format: "%.1fs", result.fillSeconds), result.samples.summary,
                   String(format: "%.0f", result.claimRate), String(format: "%.0f", result.runRateAtDepth)],
                  widths: claimWidths))
    }
}

enum JobBench {
    static let type = "bench.noop"

    /// A registry with one no-op handler counting its runs.
    static func registry(counter: Counter) -> JobHandlerRegistry {
        let registry = JobHandlerRegistry()
        registry.register(type: type, resourceKeys: ["resource_id"]) { _, _ in counter.add() }
        return registry
    }

    /// A new, migrated database with a pool large enough for every worker (the test helper's has 4 connections).
    static func store(_ backend: StoreBackend) async throws -> StateStore {
        var logger = Logger(label: "tricircle.bench.store")
        logger.logLevel = .warning
        let store = try await StateStore.open(url: try await TestDatabases.makeURL(backend), maxPoolSize: 24, logger: logger)
        try await store.migrate()
        return store
    }

    static func engine(_ store: StateStore, _ registry: JobHandlerRegistry, workers: Int) -> JobEngine {
        var logger = Logger(label: "tricircle.bench.jobs")
        logger.logLevel = .error
        return JobEngine(
            store: store, registry: registry,
            config: JobEngineConfig(workers: workers, leaseSeconds: 30, pollInterval: 0.01, shutdownGraceSeconds: 1),
            logger: logger)
    }

    static func throughput(backend: StoreBackend, jobs: Int, workers: Int) async throws
        -> (submitRate: Double, runRate: Double, submitLatency: Samples)
    {
        let store = try await store(backend)
        let counter = Counter()
        let engine = engine(store, registry(counter: counter), workers: workers)
        var samples = Samples()
        let clock = ContinuousClock()
        let submitStart = clock.now
        for i in 0..<jobs {
            let t = clock.now
            try await engine.submit(type: type, projectID: "bench", resource: ["resource_id": "r\(i)"])
            samples.add(clock.now - t)
        }
        let submitTime = clock.now - submitStart
        let runStart = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await JobWorkerPool(engine: engine, name: "bench").run() }
            while counter.value < jobs { try await Task.sleep(for: .milliseconds(2)) }
            group.cancelAll()
            try await group.waitForAll()
        }
        let runTime = clock.now - runStart
        try await store.close()
        return (Double(jobs) / seconds(submitTime), Double(jobs) / seconds(runTime), samples)
    }

    static func claimLatency(backend: StoreBackend, depth: Int, claims: Int) async throws
        -> (fillSeconds: Double, samples: Samples, claimRate: Double, runRateAtDepth: Double)
    {
        let store = try await store(backend)
        let clock = ContinuousClock()
        let fillStart = clock.now
        try await fill(store, count: depth)
        let fillTime = clock.now - fillStart
        let counter = Counter()
        let engine = engine(store, registry(counter: counter), workers: 4)
        var samples = Samples()
        var claimTime = Duration.zero
        for _ in 0..<min(claims, depth) {
            let t = clock.now
            let job = try await engine.claim(worker: "bench")
            let took = clock.now - t
            samples.add(took)
            claimTime += took
            // Finished outside the measurement, so the queue keeps a realistic handful of running rows.
            if let job { await engine.recordSuccess(job, worker: "bench") }
        }
        // Then a few seconds of real runs through a worker pool at that depth.
        let runFor = 3.0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await JobWorkerPool(engine: engine, name: "bench").run() }
            try await Task.sleep(for: .seconds(runFor))
            group.cancelAll()
            try await group.waitForAll()
        }
        let ran = counter.value
        try await store.close()
        return (seconds(fillTime), samples, Double(min(claims, depth)) / seconds(claimTime), Double(ran) / runFor)
    }

    /// Inserts `count` queued jobs in multi-row statements (set-up, not measured), oldest first.
    static func fill(_ store: StateStore, count: Int) async throws {
        let base = Date().addingTimeInterval(-3600)
        let batch = 1000
        var start = 0
        while start < count {
            let range = start..<min(count, start + batch)
            try await store.transaction { db in
                var values: [String] = []
                values.reserveCapacity(range.count)
                for i in range {
                    let at = Timestamp.format(base.addingTimeInterval(Double(i) / 1000))
                    values.append("""
                        ('\(Identifier.make())', '\(type)', 'bench', '{"resource_id":"q\(i)"}', 'new', 0, 8, '\(at)', '\(at)', '\(at)')
                        """)
                }
                // Built from integers, timestamps and generated uuids only, so raw SQL is safe here.
                try await db.raw("""
                    INSERT INTO jobs (id, type, project_id, resource_key, status, attempts, max_attempts, next_run_at,
                                      created_at, updated_at)
                    VALUES \(unsafeRaw: values.joined(separator: ","))
                    """).run()
            }
            start = range.upperBound
        }
        if store.backend == .postgres {
            try await store.read { db in try await db.raw("ANALYZE jobs").run() }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return max(1e-9, Double(s) + Double(atto) / 1e18)
    }

    final class Counter: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }
}
