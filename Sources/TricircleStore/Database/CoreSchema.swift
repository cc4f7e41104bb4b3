/// Schema version 1: pods, their cached endpoints and the resource routing table.
enum CoreSchema {
    static let v1 = Migration(version: 1, name: "pods, cached endpoints, resource routings", statements: [
        """
        CREATE TABLE pods (
            pod_id TEXT PRIMARY KEY,
            region_name TEXT NOT NULL,
            az_name TEXT NOT NULL DEFAULT '',
            pod_az_name TEXT NOT NULL DEFAULT '',
            dc_name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX pods_region_name_key ON pods (region_name)",
        // Exactly one top pod: a partial unique index over the rows with an empty AZ.
        "CREATE UNIQUE INDEX pods_single_top_key ON pods (az_name) WHERE az_name = ''",
        "CREATE INDEX pods_az_name_idx ON pods (az_name)",
        """
        CREATE TABLE cached_endpoints (
            id TEXT PRIMARY KEY,
            pod_id TEXT NOT NULL REFERENCES pods (pod_id) ON DELETE CASCADE,
            service_type TEXT NOT NULL,
            interface TEXT NOT NULL,
            url TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX cached_endpoints_key ON cached_endpoints (pod_id, service_type, interface)",
        """
        CREATE TABLE resource_routings (
            id TEXT PRIMARY KEY,
            top_id TEXT NOT NULL,
            bottom_id TEXT,
            pod_id TEXT NOT NULL REFERENCES pods (pod_id),
            project_id TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX resource_routings_key ON resource_routings (top_id, pod_id, resource_type)",
        "CREATE INDEX resource_routings_lookup_idx ON resource_routings (top_id, resource_type)",
        "CREATE INDEX resource_routings_bottom_idx ON resource_routings (bottom_id, pod_id, resource_type)",
        "CREATE INDEX resource_routings_newest_idx ON resource_routings (created_at, id)",
    ])
}
