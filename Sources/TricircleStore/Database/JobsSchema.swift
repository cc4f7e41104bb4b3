/// Schema version 2: the job engine's jobs and job log (owned by the job engine; see Sources/TricircleJobs).
enum JobsSchema {
    static let v2 = Migration(version: 2, name: "jobs and job log", statements: [
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            project_id TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            next_run_at TEXT NOT NULL,
            lease_owner TEXT,
            lease_expires_at TEXT,
            last_error TEXT,
            progress_done BIGINT NOT NULL DEFAULT 0,
            progress_total BIGINT NOT NULL DEFAULT 0,
            progress_note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE INDEX jobs_due_idx ON jobs (status, next_run_at)",
        "CREATE INDEX jobs_resource_idx ON jobs (type, resource_key, status)",
        "CREATE INDEX jobs_newest_idx ON jobs (created_at, id)",
        """
        CREATE TABLE job_log (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            type TEXT NOT NULL,
            project_id TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            status TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            error TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL)
        """,
        "CREATE INDEX job_log_job_idx ON job_log (job_id, finished_at)",
    ])
}
