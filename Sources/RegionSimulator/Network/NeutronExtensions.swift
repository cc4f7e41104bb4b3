import Foundation
import OpenStackModels

/// The API extensions this simulator implements, as `/v2.0/extensions` advertises them.
enum NeutronExtensions {
    static let updated = "2016-01-01T10:00:00-00:00"

    static let all: [NeutronExtension] = [
        ("agent", "agent", "The agent management extension."),
        ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
        ("availability_zone", "Availability Zone", "The availability zone extension."),
        ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
        ("empty-string-filtering", "Empty String Filtering Extension", "Allow filtering by attributes with empty string value"),
        ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
        ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
        ("extra_dhcp_opt", "Neutron Extra DHCP options", "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)"),
        ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
        ("extraroute-atomic", "Atomically add/remove extra routes", "Edit extra routes of a router on server side by atomically adding/removing extra routes"),
        ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
        ("fixed-ip-filter", "IP address substring filtering", "Provide fixed-ip filtering on ports"),
        ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
        ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
        ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
        ("port-security", "Port Security", "Provides port security"),
        ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
        ("quotas", "Quota management support", "Expose functions for quotas management per project"),
        ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
        ("revision-if-match", "If-Match constraints based on revision_number", "Extension indicating that If-Match based on revision_number is supported."),
        ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
        ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
        ("router_availability_zone", "Router Availability Zone", "Availability zone support for router."),
        ("security-group", "security-group", "The security groups extension."),
        ("subnet-external-network", "Subnet External Network", "Informs if the subnet is associated with an external network."),
        ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
        ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
        ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
        ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip", "Enables to set tag on resources with standard attribute."),
        ("tag-creation", "Tag creation extension", "Allow to set tags on resource creation."),
        ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
        ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
    ].map { alias, name, description in
        NeutronExtension(alias: alias, name: name, description: description, updated: updated)
    }
}
