import Hummingbird
import OpenStackModels
import TricircleGateway

/// `/v2.0` (the resources document) and `/v2.0/extensions` (what this API implements), behind the token.
struct ExtensionRoutes: APIRoutes {
    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get(use: resources)
        group.get("extensions", use: list)
        group.get("extensions/:alias", use: show)
    }

    static let updated = "2016-01-01T10:00:00-00:00"

    /// The extensions implemented here, as clients probe for them.
    static let extensions: [NeutronExtension] = [
        ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
        ("availability_zone", "Availability Zone", "The availability zone extension."),
        ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
        ("dvr", "Distributed Virtual Router", "Enables configuration of Distributed Virtual Routers."),
        ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
        ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
        ("extra_dhcp_opt", "Neutron Extra DHCP options", "Extra options configuration for DHCP."),
        ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
        ("extraroute-atomic", "Atomically add/remove extra routes", "Edit extra routes of a router on server side by atomically adding/removing extra routes"),
        ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
        ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
        ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
        ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
        ("port-security", "Port Security", "Provides port security"),
        ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
        ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
        ("quotas", "Quota management support", "Expose functions for quotas management per tenant"),
        ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
        ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
        ("security-group", "security-group", "The security groups extension."),
        ("subnet-external-network", "Subnet External Network", "Informs if the subnet is associated with an external network."),
        ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
        ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
        ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
        ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, router, network, port, security_group, floatingip", "Enables to set tag on resources with standard attribute."),
        ("tag-creation", "Tag creation extension", "Allow to set tags on resource creation."),
        ("fip-port-details", "Floating IP Port Details Extension", "Add port_details attribute to Floating IP resource"),
        ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
        ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
        ("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool"),
        ("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a subnetpool as the default."),
        ("subnetpool-prefix-ops", "Subnet Pool Prefix Operations", "Provides support for adjusting the prefix list of subnet pools"),
        ("address-scope", "Address scope", "Address scopes extension."),
    ].map { alias, name, description in NeutronExtension(alias: alias, name: name, description: description, updated: updated) }

    static let collections = [
        ("network", "networks"), ("subnet", "subnets"), ("port", "ports"), ("router", "routers"),
        ("security_group", "security-groups"), ("security_group_rule", "security-group-rules"), ("floatingip", "floatingips"),
        ("subnetpool", "subnetpools"), ("address_scope", "address-scopes"),
    ]

    /// `GET /v2.0`: the collections served.
    func resources(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let origin = PodForwarder.publicOrigin(of: request) ?? ""
        return NeutronHTTP.json(["resources": .array(Self.collections.map { name, collection in
            ["name": .string(name), "collection": .string(collection),
             "links": [["href": .string("\(origin)/v2.0/\(collection)"), "rel": "self"]]]
        })])
    }

    /// `GET /v2.0/extensions`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        NeutronHTTP.json(.object(jsonObject(NeutronExtensionList(extensions: Self.extensions))))
    }

    /// `GET /v2.0/extensions/{alias}`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let alias = try context.parameters.require("alias")
        guard let found = Self.extensions.first(where: { $0.alias == alias }) else { throw NeutronError.extensionNotFound(alias) }
        return NeutronHTTP.json(.object(jsonObject(NeutronExtensionEnvelope(extension: found))))
    }
}
