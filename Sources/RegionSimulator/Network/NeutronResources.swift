import Foundation
import OpenStackModels

// Fast attribute access for the list engine, and the attribute names Neutron accepts in filters,
// `fields` and `sort_key` for each resource.

private let standardAttributes: Set<String> = [
    "id", "name", "description", "tenant_id", "project_id", "created_at", "updated_at", "revision_number", "tags",
]

extension Network: NeutronListable {
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "name": .string(name)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        case "status": .string(status)
        case "shared": .bool(shared)
        case "router:external": .bool(routerExternal)
        case "admin_state_up": .bool(adminStateUp)
        case "provider:network_type": .string(providerNetworkType)
        default: nil
        }
    }
    static let attributeNames: Set<String> = standardAttributes.union([
        "admin_state_up", "status", "subnets", "shared", "router:external", "mtu", "availability_zone_hints",
        "availability_zones", "provider:network_type", "provider:physical_network", "provider:segmentation_id",
        "port_security_enabled", "ipv4_address_scope", "ipv6_address_scope", "qos_policy_id", "is_default",
    ])
}

extension Subnet: NeutronListable {
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "name": .string(name)
        case "network_id": .string(networkID)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        case "cidr": .string(cidr)
        case "ip_version": .int(ipVersion)
        case "enable_dhcp": .bool(enableDHCP)
        case "gateway_ip": .string(gatewayIP)
        default: nil
        }
    }
    static let attributeNames: Set<String> = standardAttributes.union([
        "network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes",
        "enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "segment_id", "service_types",
    ])
}

extension NeutronPort: NeutronListable {
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "name": .string(name)
        case "network_id": .string(networkID)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        case "device_id": .string(deviceID)
        case "device_owner": .string(deviceOwner)
        case "mac_address": .string(macAddress)
        case "status": .string(status)
        case "admin_state_up": .bool(adminStateUp)
        case "binding:host_id": .string(bindingHostID)
        case "security_groups": .array(securityGroups.map { .string($0) })
        default: nil
        }
    }
    static let attributeNames: Set<String> = standardAttributes.union([
        "network_id", "admin_state_up", "status", "mac_address", "fixed_ips", "device_id", "device_owner",
        "security_groups", "allowed_address_pairs", "extra_dhcp_opts", "port_security_enabled", "binding:host_id",
        "binding:profile", "binding:vif_details", "binding:vif_type", "binding:vnic_type", "qos_policy_id",
    ])
}

extension NeutronRouter: NeutronListable {
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "name": .string(name)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        case "status": .string(status)
        case "admin_state_up": .bool(adminStateUp)
        default: nil
        }
    }
    static let attributeNames: Set<String> = standardAttributes.union([
        "admin_state_up", "status", "external_gateway_info", "routes", "availability_zone_hints",
        "availability_zones", "distributed", "ha", "flavor_id",
    ])
}

extension SecurityGroup: NeutronListable {
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "name": .string(name)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        default: nil
        }
    }
    static let attributeNames: Set<String> = standardAttributes.union(["security_group_rules", "stateful", "shared"])
}

extension SecurityGroupRule: NeutronListable {
    var tags: [String] { [] }
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "security_group_id": .string(securityGroupID)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        case "direction": .string(direction)
        case "ethertype": .string(ethertype)
        case "protocol": .string(self.protocol)
        case "remote_group_id": .string(remoteGroupID)
        case "remote_ip_prefix": .string(remoteIPPrefix)
        default: nil
        }
    }
    static let attributeNames: Set<String> = [
        "id", "security_group_id", "tenant_id", "project_id", "direction", "ethertype", "protocol",
        "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id", "remote_address_group_id",
        "description", "created_at", "updated_at", "revision_number",
    ]
}

extension FloatingIP: NeutronListable {
    func quickAttribute(_ key: String) -> JSONValue? {
        switch key {
        case "id": .string(id)
        case "project_id": .string(projectID)
        case "tenant_id": .string(tenantID)
        case "floating_network_id": .string(floatingNetworkID)
        case "floating_ip_address": .string(floatingIPAddress)
        case "port_id": .string(portID)
        case "router_id": .string(routerID)
        case "fixed_ip_address": .string(fixedIPAddress)
        case "status": .string(status)
        default: nil
        }
    }
    static let attributeNames: Set<String> = [
        "id", "tenant_id", "project_id", "floating_ip_address", "floating_network_id", "router_id", "port_id",
        "fixed_ip_address", "status", "description", "qos_policy_id", "port_forwardings", "tags", "created_at",
        "updated_at", "revision_number",
    ]
}
