// A job worker process for TricircleJobsTests' multi-process tests (PostgreSQL only).
//
//   JobWorkerFixture <database-url> <workers> <lease-seconds>
//
// Runs a JobWorkerPool with two handlers that record what they do in fixture tables the test created:
//   fixture.overlap {resource_id}: counts concurrent runs per resource (fixture_active/fixture_violations)
//   fixture.slow {resource_id}:    records start and end (fixture_runs), working ~2 s in between
// Stops gracefully on SIGTERM or SIGINT.
import Foundation
import Logging
import ServiceLifecycle
import TricircleCore
import TricircleJobs
import TricircleStore

let arguments = CommandLine.arguments
guard arguments.count == 4, let workers = Int(arguments[2]), let lease = Double(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: JobWorkerFixture <database-url> <workers> <lease-seconds>\n".utf8))
    exit(2)
}
var logger = Logger(label: "job-worker-fixture")
logger.logLevel = .warning
let store = try await StateStore.open(url: arguments[1], maxPoolSize: workers + 2, logger: logger)
let pid = Int(ProcessInfo.processInfo.processIdentifier)

let registry = JobHandlerRegistry()
registry.register(type: "fixture.overlap", resourceKeys: ["resource_id"]) { resource, context in
    let id = resource["resource_id"] ?? ""
    let active = try await store.read { db in
        try await db.raw("UPDATE fixture_active SET active = active + 1 WHERE resource_id = \(bind: id) RETURNING active")
            .first()?.decode(column: "active", as: Int.self) ?? 0
    }
    if active > 1 {
        try await store.read { db in
            try await db.raw("INSERT INTO fixture_violations (job_id, pid) VALUES (\(bind: context.job.id), \(bind: pid))").run()
        }
    }
    try await Task.sleep(for: .milliseconds(Int.random(in: 5...30)))
    try await store.read { db in
        try await db.raw("UPDATE fixture_active SET active = active - 1 WHERE resource_id = \(bind: id)").run()
        try await db.raw("""
            INSERT INTO fixture_runs (job_id, pid, event) VALUES (\(bind: context.job.id), \(bind: pid), 'finished')
            """).run()
    }
}
registry.register(type: "fixture.slow", resourceKeys: ["resource_id"]) { _, context in
    try await store.read { db in
        try await db.raw("INSERT INTO fixture_runs (job_id, pid, event) VALUES (\(bind: context.job.id), \(bind: pid), 'started')").run()
    }
    for step in 1...10 {
        try await Task.sleep(for: .milliseconds(200))
        try await context.progress(done: Int64(step), total: 10)
    }
    try await store.read { db in
        try await db.raw("INSERT INTO fixture_runs (job_id, pid, event) VALUES (\(bind: context.job.id), \(bind: pid), 'finished')").run()
    }
}

let engine = JobEngine(
    store: store, registry: registry,
    config: JobEngineConfig(workers: workers, leaseSeconds: lease, backoffBaseSeconds: 0.05, backoffMaxSeconds: 0.5,
                            pollInterval: 0.05, shutdownGraceSeconds: 1),
    logger: logger)
let group = ServiceGroup(
    services: [JobWorkerPool(engine: engine, name: "fixture-\(pid)")],
    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
FileHandle.standardOutput.write(Data("ready \(pid)\n".utf8))
try await group.run()
try await store.close()
