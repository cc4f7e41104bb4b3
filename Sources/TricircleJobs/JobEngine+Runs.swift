import CoreMetrics
import Foundation
import Logging
import SQLKit
import TricircleCore
import TricircleStore

/// The worker side: claiming due jobs with a lease, renewing it, and recording how each run ended.
extension JobEngine {
    enum ClaimStep {
        case claimed(Job)
        case nothingDue
        case again
    }

    /// Claims the oldest due job of a type this process handles, or nil when none is due.
    /// `worker` names the claimer in `lease_owner` (a per-claim token is appended, so a lease is never
    /// confused with an earlier one of the same worker). SPI for benchmarks; workers call it internally.
    @_spi(Benchmarks)
    public func claim(worker: String) async throws -> Job? {
        let types = registry.schemas().map(\.type)
        guard !types.isEmpty else { return nil }
        for _ in 0..<8 {
            let step = store.backend == .postgres
                ? try await claimStepPostgres(worker: worker, types: types)
                : try await claimStep(worker: worker, types: types)
            switch step {
            case .claimed(let job): return job
            case .nothingDue: return nil
            case .again: continue
            }
        }
        return nil
    }

    private func claimStep(worker: String, types: [String]) async throws -> ClaimStep {
        let now = Date()
        let nowText = Timestamp.format(now)
        let leaseEnd = Timestamp.after(config.leaseSeconds, from: now)
        let owner = worker + "/" + Identifier.make().prefix(8)
        // PostgreSQL: lock the candidate and let concurrent claimers skip it. SQLite: the store runs one
        // session at a time in this process, so the select-then-update below cannot interleave.
        let lock = store.backend == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        do {
            return try await transaction { db -> ClaimStep in
                // Due: queued or retrying with next_run_at passed, or running with its lease expired (a
                // running row's next_run_at is its lease expiry). Skip a resource that has a running row.
                guard let row = try await db.raw("""
                    SELECT j.id, j.status, j.attempts, j.max_attempts, j.lease_owner, j.started_at, j.type,
                           j.project_id, j.resource_key
                    FROM jobs j
                    WHERE j.next_run_at <= \(bind: nowText) AND j.type IN (\(binds: types))
                      AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.type = j.type AND r.resource_key = j.resource_key
                                      AND r.status = 'running' AND r.id <> j.id)
                    ORDER BY j.next_run_at LIMIT 1\(unsafeRaw: lock)
                    """).first()
                else { return .nothingDue }
                let id = try row.decode(column: "id", as: String.self)
                let status = try row.decode(column: "status", as: String.self)
                let previousOwner = try row.decode(column: "lease_owner", as: String?.self)
                if status == JobStatus.running.rawValue, let previousOwner {
                    if try await self.takeOverExpired(row: row, previousOwner: previousOwner, now: nowText, on: db) {
                        return .again
                    }
                }
                guard let claimed = try await db.raw("""
                    UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = \(bind: owner),
                        lease_expires_at = \(bind: leaseEnd), next_run_at = \(bind: leaseEnd),
                        started_at = \(bind: nowText), finished_at = NULL, progress_done = 0, progress_total = 0,
                        progress_note = NULL, updated_at = \(bind: nowText)
                    WHERE id = \(bind: id)
                    RETURNING \(unsafeRaw: JobRows.columns)
                    """).first()
                else { return .again }
                return .claimed(try JobRows.job(claimed))
            }
        } catch where StateStore.isUniqueViolation(error) {
            // Two rows of one resource claimed at once by two workers: the run lock index let one win.
            return .again
        }
    }

    /// PostgreSQL: the same claim in one statement (one round trip instead of four): the candidate is
    /// locked with `FOR UPDATE SKIP LOCKED` in a CTE and updated in place; what it was before comes back too.
    private func claimStepPostgres(worker: String, types: [String]) async throws -> ClaimStep {
        let now = Date()
        let nowText = Timestamp.format(now)
        let leaseEnd = Timestamp.after(config.leaseSeconds, from: now)
        let owner = worker + "/" + Identifier.make().prefix(8)
        let store = store
        do {
            return try await Task { () throws -> ClaimStep in
                try await store.read { db -> ClaimStep in
                    guard let row = try await db.raw("""
                        WITH candidate AS (
                            SELECT j.id AS cid, j.status AS was_status, j.lease_owner AS was_owner,
                                   j.started_at AS was_started
                            FROM jobs j
                            WHERE j.next_run_at <= \(bind: nowText) AND j.type IN (\(binds: types))
                              AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.type = j.type AND r.resource_key = j.resource_key
                                              AND r.status = 'running' AND r.id <> j.id)
                            ORDER BY j.next_run_at LIMIT 1
                            FOR UPDATE SKIP LOCKED)
                        UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, lease_owner = \(bind: owner),
                            lease_expires_at = \(bind: leaseEnd), next_run_at = \(bind: leaseEnd),
                            started_at = \(bind: nowText), finished_at = NULL, progress_done = 0, progress_total = 0,
                            progress_note = NULL, updated_at = \(bind: nowText)
                        FROM candidate WHERE jobs.id = candidate.cid
                        RETURNING \(unsafeRaw: JobRows.columns), candidate.was_status, candidate.was_owner, candidate.was_started
                        """).first()
                    else { return .nothingDue }
                    let job = try JobRows.job(row)
                    guard try row.decode(column: "was_status", as: String.self) == JobStatus.running.rawValue,
                          let previousOwner = try row.decode(column: "was_owner", as: String?.self)
                    else { return .claimed(job) }
                    // Taken over from a worker whose lease expired: log its lost run; give up if it was the last.
                    let lostAttempt = job.attempts - 1
                    let message = "worker \(previousOwner) lost its lease (stopped or stalled) during attempt \(lostAttempt)"
                    try await self.appendLog(
                        jobID: job.id, type: job.type, projectID: job.projectID, key: try JobRows.key(of: job.resource),
                        outcome: "lost", attempt: lostAttempt, worker: previousOwner, error: message,
                        startedAt: try row.decode(column: "was_started", as: String?.self) ?? nowText, finishedAt: nowText,
                        on: db)
                    self.logger.warning("taking over job after lease expiry", metadata: [
                        "job_id": "\(job.id)", "previous_owner": "\(previousOwner)",
                    ])
                    guard lostAttempt >= job.maxAttempts else { return .claimed(job) }
                    try await db.raw("""
                        UPDATE jobs SET status = 'failed', attempts = \(bind: lostAttempt), next_run_at = NULL,
                            lease_owner = NULL, lease_expires_at = NULL,
                            last_error = \(bind: message + "; no attempts left"), finished_at = \(bind: nowText),
                            updated_at = \(bind: nowText)
                        WHERE id = \(bind: job.id) AND lease_owner = \(bind: owner)
                        """).run()
                    return .again
                }
            }.value
        } catch where StateStore.isUniqueViolation(error) {
            return .again
        }
    }

    /// Logs the lost run of a worker whose lease expired; gives the job up (returns true) when that run
    /// was its last attempt, so a job that kills its worker every time cannot loop forever.
    private func takeOverExpired(row: any SQLRow, previousOwner: String, now: String, on db: any SQLDatabase) async throws -> Bool {
        let id = try row.decode(column: "id", as: String.self)
        let attempts = try row.decode(column: "attempts", as: Int.self)
        let maxAttempts = try row.decode(column: "max_attempts", as: Int.self)
        let message = "worker \(previousOwner) lost its lease (stopped or stalled) during attempt \(attempts)"
        try await appendLog(
            jobID: id, type: try row.decode(column: "type", as: String.self),
            projectID: try row.decode(column: "project_id", as: String.self),
            key: try row.decode(column: "resource_key", as: String.self), outcome: "lost", attempt: attempts,
            worker: previousOwner, error: message,
            startedAt: try row.decode(column: "started_at", as: String?.self) ?? now, finishedAt: now, on: db)
        logger.warning("taking over job after lease expiry", metadata: ["job_id": "\(id)", "previous_owner": "\(previousOwner)"])
        if let metrics {
            Counter(label: "tricircle_job_lease_expiries_total", dimensions: [("type", try row.decode(column: "type", as: String.self))],
                    factory: metrics).increment()
        }
        guard attempts >= maxAttempts else { return false }
        try await db.raw("""
            UPDATE jobs SET status = 'failed', next_run_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
                last_error = \(bind: message + "; no attempts left"), finished_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """).run()
        return true
    }

    /// Extends the lease (and records progress when given); false when this owner no longer holds it.
    func renew(_ job: Job, progress: JobProgress? = nil) async throws -> Bool {
        let now = Date()
        let nowText = Timestamp.format(now)
        let leaseEnd = Timestamp.after(config.leaseSeconds, from: now)
        let owner = job.leaseOwner ?? ""
        return try await store.read { db in
            var query: SQLQueryString = """
                UPDATE jobs SET lease_expires_at = \(bind: leaseEnd), next_run_at = \(bind: leaseEnd),
                    updated_at = \(bind: nowText)
                """
            if let progress {
                query += """
                    , progress_done = \(bind: progress.done), progress_total = \(bind: progress.total),
                    progress_note = \(bind: progress.note)
                    """
            }
            query += " WHERE id = \(bind: job.id) AND lease_owner = \(bind: owner) AND status = 'running' RETURNING id"
            return try await !db.raw(query).all().isEmpty
        }
    }

    /// How a run ended, as the worker saw it.
    enum RunEnding {
        case success
        case failure(any Error)
        /// Stopped for shutdown before finishing: give the job back without counting the attempt.
        case handBack
    }

    /// Records the end of a run: updates the job if this worker still owns it, and appends to the run log.
    func finish(_ job: Job, ending: RunEnding, worker: String, seconds: Double) async {
        let now = Date()
        let nowText = Timestamp.format(now)
        let owner = job.leaseOwner ?? ""
        let outcome: String
        var errorText: String?
        var update: SQLQueryString
        switch ending {
        case .success:
            outcome = "success"
            update = """
                UPDATE jobs SET status = 'success', next_run_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
                    last_error = NULL, finished_at = \(bind: nowText), updated_at = \(bind: nowText)
                """
        case .failure(let error):
            outcome = "failed"
            let permanent = error is PermanentJobFailure
            let text = JobRows.clip(String(describing: error))
            errorText = text
            let giveUp = permanent || job.attempts >= job.maxAttempts
            let next: String? = giveUp ? nil : Timestamp.after(config.backoff(afterAttempt: job.attempts), from: now)
            update = """
                UPDATE jobs SET status = 'failed', next_run_at = \(bind: next), lease_owner = NULL, lease_expires_at = NULL,
                    last_error = \(bind: text), finished_at = \(bind: nowText), updated_at = \(bind: nowText)
                """
        case .handBack:
            outcome = "handed_back"
            // Still `running` (it keeps the resource's run lock) but ownerless and due now: the next claim takes it.
            update = """
                UPDATE jobs SET attempts = attempts - 1, next_run_at = \(bind: nowText), lease_owner = NULL,
                    lease_expires_at = NULL, updated_at = \(bind: nowText)
                """
        }
        update += " WHERE id = \(bind: job.id) AND lease_owner = \(bind: owner) AND status = 'running' RETURNING id"
        let finalUpdate = update
        let finalError = errorText
        var counted = outcome
        let lostError = "finished as '\(outcome)' after losing the lease; the job was left to its new owner"
            + (finalError.map { ": \($0)" } ?? "")
        let key = (try? JobRows.key(of: job.resource)) ?? "{}"
        do {
            if store.backend == .postgres {
                // One statement: the guarded update, and the run log row saying whether it applied.
                let statement: SQLQueryString = "WITH u AS (" + finalUpdate + ") " + """
                    INSERT INTO job_log (id, job_id, type, project_id, resource_key, outcome, attempt, worker, error,
                                         started_at, finished_at)
                    SELECT \(bind: Identifier.make()), \(bind: job.id), \(bind: job.type), \(bind: job.projectID),
                           \(bind: key), CASE WHEN EXISTS (SELECT 1 FROM u) THEN \(bind: outcome) ELSE 'lease_lost' END,
                           \(bind: job.attempts), \(bind: owner),
                           CASE WHEN EXISTS (SELECT 1 FROM u) THEN \(bind: finalError) ELSE \(bind: lostError) END,
                           \(bind: job.startedAt ?? nowText), \(bind: nowText)
                    RETURNING outcome
                    """
                let store = store
                counted = try await Task {
                    try await store.read { db in
                        try await db.raw(statement).first()?.decode(column: "outcome", as: String.self) ?? outcome
                    }
                }.value
            } else {
                counted = try await recordEnd(
                    job, update: finalUpdate, outcome: outcome, error: finalError, lostError: lostError, owner: owner,
                    now: nowText)
            }
        } catch {
            // The lease will expire and another worker will run the job again; nothing is lost.
            logger.error("could not record the end of a job run", metadata: [
                "job_id": "\(job.id)", "outcome": "\(outcome)", "error": "\(String(reflecting: error))",
            ])
        }
        count(type: job.type, outcome: counted, seconds: seconds)
    }

    /// The guarded update and the run log row in one transaction; returns the outcome logged.
    private func recordEnd(
        _ job: Job, update: SQLQueryString, outcome: String, error: String?, lostError: String, owner: String, now: String
    ) async throws -> String {
        let finalUpdate = update
        let finalError = error
        let nowText = now
        return try await transaction { db -> String in
            var loggedOutcome = outcome
            var loggedError = finalError
            if try await db.raw(finalUpdate).all().isEmpty {
                loggedOutcome = "lease_lost"
                loggedError = lostError
            }
            try await self.appendLog(
                jobID: job.id, type: job.type, projectID: job.projectID, key: try JobRows.key(of: job.resource),
                outcome: loggedOutcome, attempt: job.attempts, worker: owner, error: loggedError,
                startedAt: job.startedAt ?? nowText, finishedAt: nowText, on: db)
            return loggedOutcome
        }
    }

    /// Records a successful run of a job claimed with `claim(worker:)` (benchmarks drive claims by hand).
    @_spi(Benchmarks)
    public func recordSuccess(_ job: Job, worker: String) async {
        await finish(job, ending: .success, worker: worker, seconds: 0)
    }

    func appendLog(
        jobID: String, type: String, projectID: String, key: String, outcome: String, attempt: Int, worker: String,
        error: String?, startedAt: String, finishedAt: String, on db: any SQLDatabase
    ) async throws {
        try await db.raw("""
            INSERT INTO job_log (id, job_id, type, project_id, resource_key, outcome, attempt, worker, error, started_at, finished_at)
            VALUES (\(bind: Identifier.make()), \(bind: jobID), \(bind: type), \(bind: projectID), \(bind: key),
                    \(bind: outcome), \(bind: attempt), \(bind: worker), \(bind: error), \(bind: startedAt), \(bind: finishedAt))
            """).run()
    }

    private func count(type: String, outcome: String, seconds: Double) {
        if let metrics {
            // Bounded labels: registered job types and the few outcomes a run can end with.
            Counter(label: "tricircle_job_runs_total", dimensions: [("type", type), ("outcome", outcome)], factory: metrics)
                .increment()
            CoreMetrics.Timer(label: "tricircle_job_run_duration_seconds", dimensions: [("type", type)], factory: metrics)
                .recordNanoseconds(Int64(seconds * 1e9))
        }
        counters.withLock { all in
            var c = all[type] ?? JobRunCounters(type: type)
            switch outcome {
            case "success": c.succeeded += 1
            case "handed_back": c.handedBack += 1
            default: c.failed += 1
            }
            c.totalSeconds += seconds
            c.maxSeconds = max(c.maxSeconds, seconds)
            all[type] = c
        }
    }
}
