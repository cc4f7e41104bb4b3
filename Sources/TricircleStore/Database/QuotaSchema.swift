/// Schema version 8: one quota per project over all regions. Limits of Block Storage and Database join
/// Compute's and Networking's override tables (same shape); usage is what `quota_allocations` says the
/// top's live resources hold, plus the unexpired `quota_reservations` of creates under way. A check and
/// its reservation run in one transaction that first updates the project's `quota_locks` row, so checks
/// of one project run one after the other in any number of gateway processes.
enum QuotaSchema {
    static let v8 = Migration(
        version: 8, name: "quotas_over_all_regions",
        statements: [
            """
            CREATE TABLE volume_quotas (
                project_id TEXT NOT NULL,
                resource TEXT NOT NULL,
                hard_limit INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (project_id, resource))
            """,
            """
            CREATE TABLE database_quotas (
                project_id TEXT NOT NULL,
                resource TEXT NOT NULL,
                hard_limit INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (project_id, resource))
            """,
            """
            CREATE TABLE quota_locks (
                project_id TEXT NOT NULL,
                service TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (project_id, service))
            """,
            """
            CREATE TABLE quota_reservations (
                id TEXT NOT NULL,
                resource TEXT NOT NULL,
                project_id TEXT NOT NULL,
                service TEXT NOT NULL,
                amount INTEGER NOT NULL,
                owner TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (id, resource))
            """,
            "CREATE INDEX quota_reservations_project_idx ON quota_reservations (project_id, service)",
            "CREATE INDEX quota_reservations_expiry_idx ON quota_reservations (expires_at)",
            """
            CREATE TABLE quota_allocations (
                object_type TEXT NOT NULL,
                object_id TEXT NOT NULL,
                resource TEXT NOT NULL,
                project_id TEXT NOT NULL,
                service TEXT NOT NULL,
                pod_id TEXT NOT NULL,
                amount INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (object_type, object_id, resource))
            """,
            "CREATE INDEX quota_allocations_project_idx ON quota_allocations (project_id, service)",
        ])
}
