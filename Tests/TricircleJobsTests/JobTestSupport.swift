import Foundation
import Logging
import Synchronization
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@_spi(Benchmarks) @testable import TricircleJobs

/// Short polls and backoff so tests finish quickly; leases long enough that a loaded machine does not
/// lose them (tests of lease expiry set short ones). No test asserts on timing.
func testConfig(
    workers: Int = 2, lease: Double = 5, maxAttempts: Int = 3, grace: Double = 0.2
) -> JobEngineConfig {
    JobEngineConfig(
        workers: workers, leaseSeconds: lease, maxAttempts: maxAttempts, backoffBaseSeconds: 0.01,
        backoffMaxSeconds: 0.05, pollInterval: 0.02, shutdownGraceSeconds: grace)
}

func makeEngine(_ store: StateStore, _ registry: JobHandlerRegistry, _ config: JobEngineConfig = testConfig()) -> JobEngine {
    var logger = Logger(label: "tricircle.jobs.test")
    logger.logLevel = .critical
    return JobEngine(store: store, registry: registry, config: config, logger: logger)
}

/// Runs a worker pool around `body` and stops it (gracefully) afterwards.
func withPool<T: Sendable>(
    _ engine: JobEngine, workers: Int? = nil, name: String = "test",
    _ body: @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await JobWorkerPool(engine: engine, workers: workers, name: name).run()
            return nil
        }
        defer { group.cancelAll() }
        let result = try await body()
        group.cancelAll()
        while let _ = try await group.next() {}
        return result
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until true; throws after `seconds` (generous: a limit, not a measurement).
func eventually(
    _ what: String, within seconds: Double = 15, _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(what: what)
}

func jobCount(_ store: StateStore) async throws -> Int {
    try await store.read { db in
        try await db.raw("SELECT COUNT(*) AS n FROM jobs").first()?.decode(column: "n", as: Int.self) ?? -1
    }
}

/// What handlers did, shared with the test: runs per resource and the most runs of one resource at once.
final class Probe: Sendable {
    private struct State {
        var runs: [String: Int] = [:]
        var active: [String: Int] = [:]
        var maxActive = 0
        var released = false
        var failuresLeft = 0
        var cancellations = 0
    }
    private let state = Mutex(State())

    func begin(_ resource: String) {
        state.withLock { s in
            s.runs[resource, default: 0] += 1
            s.active[resource, default: 0] += 1
            s.maxActive = max(s.maxActive, s.active[resource, default: 0])
        }
    }
    func end(_ resource: String) { state.withLock { $0.active[resource, default: 0] -= 1 } }
    func runs(_ resource: String) -> Int { state.withLock { $0.runs[resource] ?? 0 } }
    var totalRuns: Int { state.withLock { $0.runs.values.reduce(0, +) } }
    var maxActive: Int { state.withLock { $0.maxActive } }
    func release() { state.withLock { $0.released = true } }
    var released: Bool { state.withLock { $0.released } }
    func cancelled() { state.withLock { $0.cancellations += 1 } }
    var cancellations: Int { state.withLock { $0.cancellations } }
    func failNext(_ count: Int) { state.withLock { $0.failuresLeft = count } }
    /// True while failures are left (and uses one up).
    func shouldFail() -> Bool {
        state.withLock { s in
            guard s.failuresLeft > 0 else { return false }
            s.failuresLeft -= 1
            return true
        }
    }

    /// Waits until `release()` (handlers blocked on a gate), honouring cancellation.
    func waitForRelease() async throws {
        while !released { try await Task.sleep(for: .milliseconds(5)) }
    }
}

struct RouterPayload: Codable, Sendable {
    var router_id: String
    var pod_id: String
}

/// A typed handler as feature code would write one.
struct RouterSetupHandler: JobHandler {
    static let type = "router_setup"
    static let resourceKeys = ["router_id", "pod_id"]
    let probe: Probe

    func run(_ payload: RouterPayload, context: JobContext) async throws {
        probe.begin(payload.router_id)
        defer { probe.end(payload.router_id) }
        try await context.progress(done: 1, total: 1, note: "configured \(payload.pod_id)")
    }
}

/// A registry with `router_setup` (typed) and `gate` (blocks until the probe is released).
func makeRegistry(_ probe: Probe) -> JobHandlerRegistry {
    let registry = JobHandlerRegistry()
    registry.register(RouterSetupHandler(probe: probe))
    registry.register(type: "gate", resourceKeys: ["resource_id"]) { resource, _ in
        let id = resource["resource_id"] ?? ""
        probe.begin(id)
        defer { probe.end(id) }
        try await probe.waitForRelease()
    }
    registry.register(type: "watched", resourceKeys: ["resource_id"]) { resource, _ in
        let id = resource["resource_id"] ?? ""
        probe.begin(id)
        defer { probe.end(id) }
        do {
            try await probe.waitForRelease()
        } catch is CancellationError {
            probe.cancelled()
            throw CancellationError()
        }
    }
    registry.register(type: "work", resourceKeys: ["resource_id"]) { resource, _ in
        let id = resource["resource_id"] ?? ""
        probe.begin(id)
        defer { probe.end(id) }
        try await Task.sleep(for: .milliseconds(Int.random(in: 1...10)))
        if probe.shouldFail() { throw TestFailure(message: "injected failure") }
    }
    registry.register(type: "always_fails", resourceKeys: ["resource_id"]) { _, _ in
        throw TestFailure(message: "region unreachable")
    }
    registry.register(type: "permanent", resourceKeys: ["resource_id"]) { _, _ in
        throw PermanentJobFailure("resource is gone")
    }
    return registry
}

struct TestFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
