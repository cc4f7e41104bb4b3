/// Schema version 3: compute catalog: flavors, flavor access and extra specs, key pairs, flavor mappings.
/// Quota overrides live here too (they are Compute's; usage comes from the routing table).
enum ComputeCatalogSchema {
    static let v3 = Migration(version: 3, name: "compute_catalog_flavors_flavor_access_and_extra_specs_key_pairs_flavor_mappings", statements: [
        // Booleans are INTEGER 0/1: the same binds and decodes on every backend.
        """
        CREATE TABLE compute_flavors (
            flavor_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            ram INTEGER NOT NULL,
            vcpus INTEGER NOT NULL,
            disk INTEGER NOT NULL,
            ephemeral INTEGER NOT NULL DEFAULT 0,
            swap INTEGER NOT NULL DEFAULT 0,
            rxtx_factor DOUBLE PRECISION NOT NULL DEFAULT 1.0,
            is_public INTEGER NOT NULL DEFAULT 1,
            disabled INTEGER NOT NULL DEFAULT 0,
            description TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX compute_flavors_name_key ON compute_flavors (name)",
        """
        CREATE TABLE compute_flavor_extra_specs (
            flavor_id TEXT NOT NULL REFERENCES compute_flavors (flavor_id) ON DELETE CASCADE,
            spec_key TEXT NOT NULL,
            spec_value TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (flavor_id, spec_key))
        """,
        """
        CREATE TABLE compute_flavor_access (
            flavor_id TEXT NOT NULL REFERENCES compute_flavors (flavor_id) ON DELETE CASCADE,
            project_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (flavor_id, project_id))
        """,
        "CREATE INDEX compute_flavor_access_project_idx ON compute_flavor_access (project_id)",
        // Not tied to compute_flavors by a foreign key: a mapping row outliving its flavor is harmless
        // (the flavor's delete removes it) and the boot path must not take locks on the catalog.
        """
        CREATE TABLE compute_flavor_mappings (
            id TEXT PRIMARY KEY,
            top_flavor_id TEXT NOT NULL,
            pod_id TEXT NOT NULL REFERENCES pods (pod_id) ON DELETE CASCADE,
            bottom_flavor_id TEXT NOT NULL,
            pinned INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX compute_flavor_mappings_key ON compute_flavor_mappings (top_flavor_id, pod_id)",
        """
        CREATE TABLE compute_keypairs (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            key_type TEXT NOT NULL,
            public_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            created_at TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX compute_keypairs_user_name_key ON compute_keypairs (user_id, name)",
        """
        CREATE TABLE compute_quotas (
            project_id TEXT NOT NULL,
            resource TEXT NOT NULL,
            hard_limit INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (project_id, resource))
        """,
    ])
}
