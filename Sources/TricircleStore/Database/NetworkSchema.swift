/// Schema version 4: networking at the top: networks, subnets, ports, address allocation, routers, security groups, floating ips.
///
/// Every resource family is one table of Neutron documents (`body`, the resource as JSON) plus the columns
/// lists filter and page on. `unique_key` carries what Neutron keeps unique (a MAC per network, the one
/// default security group per project); NULL where nothing must be unique. Addresses live in their own
/// table whose primary key is (subnet, address): the database itself refuses a second holder, so several
/// gateway processes can allocate at once and simply retry on a unique violation.
enum NetworkSchema {
    static let documentTables = [
        "neutron_networks", "neutron_subnets", "neutron_ports", "neutron_routers", "neutron_security_groups",
        "neutron_security_group_rules", "neutron_floating_ips",
    ]

    static let v4 = Migration(
        version: 4, name: "networking_at_the_top_networks_subnets_ports_address_allocation_routers_security_groups_floating_ips",
        statements: documentTables.flatMap { table in
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
        } + [
            """
            CREATE TABLE neutron_ip_allocations (
                subnet_id TEXT NOT NULL,
                ip_address TEXT NOT NULL,
                network_id TEXT NOT NULL,
                port_id TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (subnet_id, ip_address))
            """,
            "CREATE INDEX neutron_ip_allocations_port_idx ON neutron_ip_allocations (port_id)",
        ])
}
