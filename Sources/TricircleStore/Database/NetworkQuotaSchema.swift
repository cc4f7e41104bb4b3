/// Schema version 7: the Networking API's per-project quota overrides at the top (one quota per project
/// over all regions). Projects without a row for a resource have Neutron's default limit.
enum NetworkQuotaSchema {
    static let v7 = Migration(
        version: 7, name: "networking_quotas_at_the_top",
        statements: [
            """
            CREATE TABLE neutron_quotas (
                project_id TEXT NOT NULL,
                resource TEXT NOT NULL,
                hard_limit INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (project_id, resource))
            """,
        ])
}
