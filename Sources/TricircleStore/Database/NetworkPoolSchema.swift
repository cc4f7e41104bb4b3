/// Schema version 13: subnet pools and address scopes at the top, document tables like NetworkSchema's.
/// `unique_key` keeps one default pool per IP version (`default:4`, `default:6`).
enum NetworkPoolSchema {
    static let v13 = Migration(
        version: 13, name: "neutron_subnetpools_and_address_scopes",
        statements: ["neutron_subnetpools", "neutron_address_scopes"].flatMap { table in
            [
                """
                CREATE TABLE \(table) (
                    id TEXT PRIMARY KEY,
                    project_id TEXT NOT NULL,
                    parent_id TEXT NOT NULL DEFAULT '',
                    device_id TEXT NOT NULL DEFAULT '',
                    name TEXT NOT NULL DEFAULT '',
                    unique_key TEXT,
                    revision INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL)
                """,
                "CREATE INDEX \(table)_project_idx ON \(table) (project_id, id)",
                "CREATE INDEX \(table)_parent_idx ON \(table) (parent_id, id)",
                "CREATE INDEX \(table)_device_idx ON \(table) (device_id, id)",
                "CREATE UNIQUE INDEX \(table)_unique_key ON \(table) (unique_key)",
            ]
        })
}
