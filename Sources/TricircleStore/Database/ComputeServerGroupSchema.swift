/// Schema version 15: server groups kept at the top (`/os-server-groups`), their members (which server
/// joined in which pod) and the group each pod holds for one (made on first use there).
enum ComputeServerGroupSchema {
    static let v15 = Migration(version: 15, name: "compute_server_groups_members_and_pod_groups", statements: [
        """
        CREATE TABLE compute_server_groups (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            policy TEXT NOT NULL,
            max_server_per_host INTEGER,
            created_at TEXT NOT NULL)
        """,
        "CREATE INDEX compute_server_groups_project_idx ON compute_server_groups (project_id, created_at)",
        """
        CREATE TABLE compute_server_group_members (
            group_id TEXT NOT NULL REFERENCES compute_server_groups (id) ON DELETE CASCADE,
            server_id TEXT NOT NULL,
            pod_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (group_id, server_id))
        """,
        """
        CREATE TABLE compute_server_group_pods (
            group_id TEXT NOT NULL REFERENCES compute_server_groups (id) ON DELETE CASCADE,
            pod_id TEXT NOT NULL,
            bottom_group_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (group_id, pod_id))
        """,
    ])
}
