import CoreMetrics
import Foundation
import Logging
import SQLKit
import Synchronization
import TricircleCore
import TricircleStore

/// Durable, leased, coalescing jobs in the state database: submit, inspect, redo and delete them here;
/// `JobWorkerPool` runs them. Safe to use from many tasks and many processes sharing one database.
public final class JobEngine: Sendable {
    public let store: StateStore
    public let registry: JobHandlerRegistry
    public let config: JobEngineConfig
    let logger: Logger
    /// Rung on every local submit so idle workers in this process look at once instead of at the next poll.
    let doorbell = Waiters(sticky: false)
    let counters = Mutex<[String: JobRunCounters]>([:])
    /// Where run counts, durations and lease expiries are recorded (nil: only `stats()` counts runs).
    let metrics: (any MetricsFactory)?

    public init(
        store: StateStore, registry: JobHandlerRegistry, config: JobEngineConfig = JobEngineConfig(),
        logger: Logger = Logger(label: "tricircle.jobs"), metrics: (any MetricsFactory)? = nil
    ) {
        self.store = store
        self.registry = registry
        self.config = config
        self.logger = logger
        self.metrics = metrics
    }

    /// `store.transaction`, out of reach of our caller's cancellation: a cancelled task's statements are
    /// skipped (SQLite runs them on a cancellable thread pool), ROLLBACK included, which would leave the
    /// session inside a transaction. Our transactions are short, so finishing them is cheap.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let store = store
        return try await Task { try await store.transaction(body) }.value
    }

    // MARK: Submitting

    /// Queues a job for `resource`, validated against the type's schema.
    ///
    /// Give `db` to write the job inside the caller's transaction (outbox style: the job exists exactly when
    /// the change that needs it commits). Coalesces: while a job of the same type and resource is still
    /// queued (`new`), that job is returned and nothing is written; while one is running, one more `new`
    /// job is queued and every later submission joins it. `runAfter` holds a new job back that long (a
    /// durable "check on this later" that the submitter deletes once it is no longer needed).
    @discardableResult
    public func submit(
        type: String, projectID: String, resource: [String: String], in db: (any SQLDatabase)? = nil, runAfter: Duration? = nil
    ) async throws -> Job {
        let key = try validate(type: type, resource: resource)
        let due = runAfter.map { Timestamp.format(Date().addingTimeInterval(Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18)) }
        let insert: @Sendable (any SQLDatabase) async throws -> Job = { db in
            try await self.insertOrJoin(type: type, projectID: projectID, key: key, due: due, on: db)
        }
        let job: Job
        if let db {
            job = try await insert(db)
        } else {
            // No transaction: each statement of insertOrJoin stands alone (its loop settles races), and a new job
            // is one round trip instead of four with BEGIN, the look-up and COMMIT.
            let store = store
            job = try await Task { try await store.read(insert) }.value
        }
        doorbell.fire()
        return job
    }

    /// Queues a job for a typed payload (encoded to resource keys); see `submit(type:projectID:resource:in:)`.
    @discardableResult
    public func submit<H: JobHandler>(
        _ handler: H.Type, projectID: String, payload: H.Payload, in db: (any SQLDatabase)? = nil, runAfter: Duration? = nil
    ) async throws -> Job {
        let resource: [String: String]
        do {
            resource = try JSONDecoder().decode([String: String].self, from: JSONEncoder().encode(payload))
        } catch {
            throw JobError.invalidPayload("\(H.Payload.self) must encode to an object of strings: \(error)")
        }
        return try await submit(type: H.type, projectID: projectID, resource: resource, in: db, runAfter: runAfter)
    }

    /// Checks the type and keys against the registry; returns the canonical resource key.
    func validate(type: String, resource: [String: String]) throws -> String {
        guard let entry = registry.entry(type) else { throw JobError.unknownType(type) }
        let expected = Set(entry.schema.resource)
        let given = Set(resource.keys)
        let missing = expected.subtracting(given).sorted()
        let extra = given.subtracting(expected).sorted()
        if !missing.isEmpty || !extra.isEmpty {
            throw JobError.invalidResource(type: type, missing: missing, extra: extra)
        }
        if let empty = resource.filter({ $0.value.isEmpty }).keys.sorted().first {
            throw JobError.invalidPayload("resource key '\(empty)' is empty")
        }
        return try JobRows.key(of: resource)
    }

    private func insertOrJoin(type: String, projectID: String, key: String, due: String?, on db: any SQLDatabase) async throws -> Job {
        // The row we collided with may have been claimed (left `new`) between our insert and our look-up;
        // then a fresh insert succeeds. A few rounds settle any such race.
        for _ in 0..<4 {
            if let job = try await insertOrJoinOnce(type: type, projectID: projectID, key: key, due: due, on: db) { return job }
        }
        throw StoreError.conflict("could not queue job \(type) \(key); try again")
    }

    private func insertOrJoinOnce(type: String, projectID: String, key: String, due: String?, on db: any SQLDatabase) async throws -> Job? {
        let now = Timestamp.now()
        // Insert first, look up only on a collision: most submissions make a new job, in one statement.
        // The partial unique index allows one `new` row per (type, resource); a queued row (another
        // submitter's) makes ours a no-op instead of an error that would abort the caller's transaction.
        let inserted = try await db.raw("""
            INSERT INTO jobs (id, type, project_id, resource_key, status, attempts, max_attempts, next_run_at,
                              created_at, updated_at, request_id)
            VALUES (\(bind: Identifier.make()), \(bind: type), \(bind: projectID), \(bind: key), 'new', 0,
                    \(bind: config.maxAttempts), \(bind: due ?? now), \(bind: now), \(bind: now),
                    \(bind: RequestTrace.requestID))
            ON CONFLICT DO NOTHING
            RETURNING \(unsafeRaw: JobRows.columns)
            """).all()
        if let row = inserted.first { return try JobRows.job(row) }
        return try await queuedJob(type: type, key: key, on: db)
    }

    private func queuedJob(type: String, key: String, on db: any SQLDatabase) async throws -> Job? {
        try await db.raw("""
            SELECT \(unsafeRaw: JobRows.columns) FROM jobs
            WHERE type = \(bind: type) AND resource_key = \(bind: key) AND status = 'new'
            """).first().map(JobRows.job)
    }

    // MARK: Reading

    /// Jobs newest first, `limit` (at most 10,000) at a time; `marker` is the last id of the previous page
    /// (unknown marker: `JobError.notFound`).
    public func list(filter: JobFilter = JobFilter(), limit: Int = 100, marker: String? = nil) async throws -> [Job] {
        let limit = min(max(limit, 1), 10_000)
        return try await store.read { db in
            var query: SQLQueryString = "SELECT \(unsafeRaw: JobRows.columns) FROM jobs WHERE 1 = 1"
            if let type = filter.type { query += " AND type = \(bind: type)" }
            if let status = filter.status { query += " AND status = \(bind: status.rawValue)" }
            if let project = filter.projectID { query += " AND project_id = \(bind: project)" }
            if let marker {
                guard let row = try await db.raw("SELECT created_at FROM jobs WHERE id = \(bind: marker)").first() else {
                    throw JobError.notFound(marker)
                }
                let created = try row.decode(column: "created_at", as: String.self)
                query += " AND (created_at < \(bind: created) OR (created_at = \(bind: created) AND id < \(bind: marker)))"
            }
            query += " ORDER BY created_at DESC, id DESC LIMIT \(literal: limit)"
            return try await db.raw(query).all().map(JobRows.job)
        }
    }

    /// One job; throws `JobError.notFound`.
    public func get(_ id: String) async throws -> Job {
        try await store.read { db in try await Self.fetch(id, on: db) }
    }

    /// A job's most recent runs from the run log, newest first.
    public func runs(of id: String, limit: Int = 20) async throws -> [JobRun] {
        try await store.read { db in
            try await db.raw("""
                SELECT outcome, job_id, attempt, worker, error, started_at, finished_at FROM job_log
                WHERE job_id = \(bind: id) ORDER BY finished_at DESC, id DESC LIMIT \(literal: min(max(limit, 1), 1000))
                """).all().map(JobRows.run)
        }
    }

    static func fetch(_ id: String, on db: any SQLDatabase) async throws -> Job {
        guard let row = try await db.raw("SELECT \(unsafeRaw: JobRows.columns) FROM jobs WHERE id = \(bind: id)").first() else {
            throw JobError.notFound(id)
        }
        return try JobRows.job(row)
    }

    /// The schema of every registered job type (for `GET /v1.0/jobs/schemas`).
    public func schemas() -> [JobSchema] { registry.schemas() }

    /// Queue depth per type and status (all processes), and this process's run counters.
    public func stats() async throws -> JobStats {
        let queue = try await store.read { db in
            try await db.raw("SELECT type, status, COUNT(*) AS n FROM jobs GROUP BY type, status ORDER BY type, status")
                .all().compactMap { row -> JobQueueDepth? in
                    guard let status = JobStatus(rawValue: try row.decode(column: "status", as: String.self)) else { return nil }
                    return JobQueueDepth(
                        type: try row.decode(column: "type", as: String.self), status: status,
                        count: try row.decode(column: "n", as: Int.self))
                }
        }
        let runs = counters.withLock { Array($0.values) }.sorted { $0.type < $1.type }
        return JobStats(queue: queue, runs: runs)
    }

    // MARK: Operator actions

    /// Makes a job due now. A finished or failed job is queued again with its attempts reset, unless its
    /// resource already has a queued job, which is made due now and returned instead. Running: `JobError.running`.
    @discardableResult
    public func redo(_ id: String) async throws -> Job {
        do {
            return try await redoOnce(id)
        } catch where StateStore.isUniqueViolation(error) {
            // A submission queued the same resource meanwhile; this time we join it.
            return try await redoOnce(id)
        }
    }

    private func redoOnce(_ id: String) async throws -> Job {
        let job = try await transaction { db -> Job in
            let job = try await Self.fetch(id, on: db)
            let now = Timestamp.now()
            switch job.status {
            case .running:
                throw JobError.running(id)
            case .new:
                try await db.raw("UPDATE jobs SET next_run_at = \(bind: now), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
            case .success, .failed:
                let key = try JobRows.key(of: job.resource)
                if let queued = try await self.queuedJob(type: job.type, key: key, on: db) {
                    try await db.raw("UPDATE jobs SET next_run_at = \(bind: now), updated_at = \(bind: now) WHERE id = \(bind: queued.id)").run()
                    return try await Self.fetch(queued.id, on: db)
                }
                try await db.raw("""
                    UPDATE jobs SET status = 'new', attempts = 0, next_run_at = \(bind: now), lease_owner = NULL,
                        lease_expires_at = NULL, finished_at = NULL, updated_at = \(bind: now)
                    WHERE id = \(bind: id)
                    """).run()
            }
            return try await Self.fetch(id, on: db)
        }
        doorbell.fire()
        return job
    }

    /// Deletes a job that is not running, with its run log. Running: `JobError.running`.
    public func delete(_ id: String) async throws {
        // Two statements without a transaction (a create settling its adoption job pays each round trip): the job
        // row goes first, so a run can no longer start; its log rows then (a crash between leaves only log rows
        // of a job that is gone, which `prune` removes with their age).
        let store = store
        try await Task {
            try await store.read { db in
                let deleted = try await db.raw("DELETE FROM jobs WHERE id = \(bind: id) AND status <> 'running' RETURNING id").all()
                guard !deleted.isEmpty else {
                    _ = try await Self.fetch(id, on: db)  // JobError.notFound when there was none
                    throw JobError.running(id)
                }
                try await db.raw("DELETE FROM job_log WHERE job_id = \(bind: id)").run()
            }
        }.value
    }

    /// Removes successful jobs and run log rows finished more than `seconds` ago; returns the jobs removed.
    @discardableResult
    public func prune(olderThan seconds: Double) async throws -> Int {
        let cutoff = Timestamp.after(-seconds, from: Date())
        return try await transaction { db in
            let removed = try await db.raw("""
                DELETE FROM jobs WHERE status = 'success' AND finished_at < \(bind: cutoff) RETURNING id
                """).all().count
            try await db.raw("DELETE FROM job_log WHERE finished_at < \(bind: cutoff)").run()
            return removed
        }
    }
}

extension JobEngine {
    /// How a request waits on the work it queued: `step` is asked (it reads the job, or what the job
    /// makes) first at once, then after pauses that double from 20 ms up to `maxPause`, until it gives an
    /// answer or throws; nil when `deadline` passes first. The one polling loop for "submit a job, then
    /// wait for it" (image copies, flavors made in a pod).
    public func waitFor<T: Sendable>(
        until deadline: ContinuousClock.Instant, maxPause: Duration = .seconds(1), _ step: () async throws -> T?
    ) async throws -> T? {
        var pause = Duration.milliseconds(20)
        while true {
            if let answer = try await step() { return answer }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: min(pause, max(.zero, deadline - ContinuousClock.now)))
            pause = min(pause * 2, maxPause)
        }
    }
}
