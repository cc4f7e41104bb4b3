/// Schema version 4: networking at the top: networks, subnets, ports, address allocation, routers, security groups, floating ips.
enum NetworkSchema {
    static let v4 = Migration(version: 4, name: "networking_at_the_top_networks_subnets_ports_address_allocation_routers_security_groups_floating_ips", statements: [
    ])
}
