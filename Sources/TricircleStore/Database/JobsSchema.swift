/// Schema version 2: the job engine's jobs and job log (owned by the job engine; see Sources/TricircleJobs).
enum JobsSchema {
    static let v2 = Migration(version: 2, name: "jobs and job log", statements: [
        // resource_key is the canonical JSON object (sorted keys) of the job's resource: both the handler's
        // payload and the identity used for coalescing and for "one run per (type, resource)".
        // next_run_at is when the job is due: submit or retry time, the lease expiry while running
        // (so a dead worker's job falls due by itself), NULL once finished or given up.
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            project_id TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            next_run_at TEXT,
            lease_owner TEXT,
            lease_expires_at TEXT,
            last_error TEXT,
            progress_done BIGINT NOT NULL DEFAULT 0,
            progress_total BIGINT NOT NULL DEFAULT 0,
            progress_note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT)
        """,
        "CREATE INDEX jobs_due_idx ON jobs (next_run_at) WHERE next_run_at IS NOT NULL",
        // At most one queued and one running row per (type, resource): coalescing and the run lock.
        "CREATE UNIQUE INDEX jobs_one_new_key ON jobs (type, resource_key) WHERE status = 'new'",
        "CREATE UNIQUE INDEX jobs_one_running_key ON jobs (type, resource_key) WHERE status = 'running'",
        // resource_key first: with type first, SQLite (without statistics) preferred this index for the claim's
        // `type IN (...)` and sorted the whole queue instead of walking jobs_due_idx (100 ms claims at 100k jobs).
        "CREATE INDEX jobs_resource_idx ON jobs (resource_key, type, status)",
        "CREATE INDEX jobs_newest_idx ON jobs (created_at, id)",
        "CREATE INDEX jobs_project_idx ON jobs (project_id, created_at)",
        "CREATE INDEX jobs_finished_idx ON jobs (status, finished_at)",
        """
        CREATE TABLE job_log (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            type TEXT NOT NULL,
            project_id TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            outcome TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            worker TEXT NOT NULL,
            error TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL)
        """,
        "CREATE INDEX job_log_job_idx ON job_log (job_id, finished_at)",
        "CREATE INDEX job_log_finished_idx ON job_log (finished_at)",
    ])
}

/// Schema version 12: the request id a job was submitted for, so one id finds the request, its jobs and
/// the pod calls those jobs made (they carry it as the global request id).
enum JobsRequestIDSchema {
    static let v12 = Migration(version: 12, name: "jobs_request_id", statements: [
        "ALTER TABLE jobs ADD COLUMN request_id TEXT",
    ])
}
