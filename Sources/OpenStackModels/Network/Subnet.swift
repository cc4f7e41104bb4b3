import Foundation

/// An `allocation_pools` entry: an inclusive address range.
public struct AllocationPool: Codable, Sendable, Hashable {
    public var start: String
    public var end: String
    public init(start: String, end: String) {
        self.start = start
        self.end = end
    }
}

/// A Neutron subnet as `GET /v2.0/subnets/{id}` returns it.
public struct Subnet: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var networkID: String
    public var tenantID: String
    public var projectID: String
    public var ipVersion: Int
    public var cidr: String
    @ExplicitNull public var gatewayIP: String?
    public var allocationPools: [AllocationPool]
    public var dnsNameservers: [String]
    public var hostRoutes: [HostRoute]
    public var enableDHCP: Bool
    @ExplicitNull public var ipv6RAMode: String?
    @ExplicitNull public var ipv6AddressMode: String?
    @ExplicitNull public var subnetpoolID: String?
    @ExplicitNull public var segmentID: String?
    public var serviceTypes: [String]
    /// The network's `router:external` (the `subnet-external-network` extension; read-only).
    public var routerExternal: Bool
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, cidr, tags
        case networkID = "network_id"
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case ipVersion = "ip_version"
        case gatewayIP = "gateway_ip"
        case allocationPools = "allocation_pools"
        case dnsNameservers = "dns_nameservers"
        case hostRoutes = "host_routes"
        case enableDHCP = "enable_dhcp"
        case ipv6RAMode = "ipv6_ra_mode"
        case ipv6AddressMode = "ipv6_address_mode"
        case subnetpoolID = "subnetpool_id"
        case segmentID = "segment_id"
        case serviceTypes = "service_types"
        case routerExternal = "router:external"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, name: String = "", description: String = "", networkID: String, projectID: String,
        ipVersion: Int, cidr: String, gatewayIP: String?, allocationPools: [AllocationPool],
        dnsNameservers: [String] = [], hostRoutes: [HostRoute] = [], enableDHCP: Bool = true,
        ipv6RAMode: String? = nil, ipv6AddressMode: String? = nil, subnetpoolID: String? = nil,
        segmentID: String? = nil, serviceTypes: [String] = [], routerExternal: Bool = false, tags: [String] = [],
        createdAt: String, updatedAt: String, revisionNumber: Int = 0
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.networkID = networkID
        self.tenantID = projectID
        self.projectID = projectID
        self.ipVersion = ipVersion
        self.cidr = cidr
        self.gatewayIP = gatewayIP
        self.allocationPools = allocationPools
        self.dnsNameservers = dnsNameservers
        self.hostRoutes = hostRoutes
        self.enableDHCP = enableDHCP
        self.ipv6RAMode = ipv6RAMode
        self.ipv6AddressMode = ipv6AddressMode
        self.subnetpoolID = subnetpoolID
        self.segmentID = segmentID
        self.serviceTypes = serviceTypes
        self.routerExternal = routerExternal
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revisionNumber = revisionNumber
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        networkID = try c.decode(String.self, forKey: .networkID)
        let tenant = try c.decodeIfPresent(String.self, forKey: .tenantID)
        let project = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = tenant ?? project ?? ""
        projectID = project ?? tenant ?? ""
        ipVersion = try c.decode(Int.self, forKey: .ipVersion)
        cidr = try c.decode(String.self, forKey: .cidr)
        _gatewayIP = try c.decode(ExplicitNull<String>.self, forKey: .gatewayIP)
        allocationPools = try c.decodeIfPresent([AllocationPool].self, forKey: .allocationPools) ?? []
        dnsNameservers = try c.decodeIfPresent([String].self, forKey: .dnsNameservers) ?? []
        hostRoutes = try c.decodeIfPresent([HostRoute].self, forKey: .hostRoutes) ?? []
        enableDHCP = try c.decodeIfPresent(Bool.self, forKey: .enableDHCP) ?? true
        _ipv6RAMode = try c.decode(ExplicitNull<String>.self, forKey: .ipv6RAMode)
        _ipv6AddressMode = try c.decode(ExplicitNull<String>.self, forKey: .ipv6AddressMode)
        _subnetpoolID = try c.decode(ExplicitNull<String>.self, forKey: .subnetpoolID)
        _segmentID = try c.decode(ExplicitNull<String>.self, forKey: .segmentID)
        serviceTypes = try c.decodeIfPresent([String].self, forKey: .serviceTypes) ?? []
        routerExternal = try c.decodeIfPresent(Bool.self, forKey: .routerExternal) ?? false
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/subnets`; nil fields are left out, `gatewayIP` distinguishes null from absent.
public struct SubnetCreate: Codable, Sendable, Hashable {
    public var networkID: String?
    public var cidr: String?
    public var ipVersion: Int?
    public var name: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var gatewayIP: NullableField<String>
    public var allocationPools: [AllocationPool]?
    public var dnsNameservers: [String]?
    public var hostRoutes: [HostRoute]?
    public var enableDHCP: Bool?
    public var ipv6RAMode: String?
    public var ipv6AddressMode: String?
    public var subnetpoolID: String?
    /// Carve from the default pool of the IP version (`default-subnetpools`).
    public var useDefaultSubnetpool: Bool?
    public var prefixlen: Int?
    public var segmentID: String?
    public var serviceTypes: [String]?
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case cidr, name, description, prefixlen, tags
        case networkID = "network_id"
        case ipVersion = "ip_version"
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case gatewayIP = "gateway_ip"
        case allocationPools = "allocation_pools"
        case dnsNameservers = "dns_nameservers"
        case hostRoutes = "host_routes"
        case enableDHCP = "enable_dhcp"
        case ipv6RAMode = "ipv6_ra_mode"
        case ipv6AddressMode = "ipv6_address_mode"
        case subnetpoolID = "subnetpool_id"
        case useDefaultSubnetpool = "use_default_subnetpool"
        case segmentID = "segment_id"
        case serviceTypes = "service_types"
    }

    /// Attribute names this body may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.cidr, .name, .description, .prefixlen, .tags, .networkID, .ipVersion, .projectID, .tenantID,
         .gatewayIP, .allocationPools, .dnsNameservers, .hostRoutes, .enableDHCP, .ipv6RAMode, .ipv6AddressMode,
         .subnetpoolID, .useDefaultSubnetpool, .segmentID, .serviceTypes].map(\.rawValue))

    public init(
        networkID: String, cidr: String, ipVersion: Int = 4, name: String? = nil, description: String? = nil,
        projectID: String? = nil, gatewayIP: NullableField<String> = .absent,
        allocationPools: [AllocationPool]? = nil, dnsNameservers: [String]? = nil, hostRoutes: [HostRoute]? = nil,
        enableDHCP: Bool? = nil, ipv6RAMode: String? = nil, ipv6AddressMode: String? = nil,
        segmentID: String? = nil, serviceTypes: [String]? = nil, tags: [String]? = nil
    ) {
        self.networkID = networkID
        self.cidr = cidr
        self.ipVersion = ipVersion
        self.name = name
        self.description = description
        self.projectID = projectID
        self.gatewayIP = gatewayIP
        self.allocationPools = allocationPools
        self.dnsNameservers = dnsNameservers
        self.hostRoutes = hostRoutes
        self.enableDHCP = enableDHCP
        self.ipv6RAMode = ipv6RAMode
        self.ipv6AddressMode = ipv6AddressMode
        self.segmentID = segmentID
        self.serviceTypes = serviceTypes
        self.tags = tags
    }
}

/// The body of `PUT /v2.0/subnets/{id}`; nil fields are left unchanged.
public struct SubnetUpdate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var gatewayIP: NullableField<String>
    public var allocationPools: [AllocationPool]?
    public var dnsNameservers: [String]?
    public var hostRoutes: [HostRoute]?
    public var enableDHCP: Bool?
    public var serviceTypes: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description
        case gatewayIP = "gateway_ip"
        case allocationPools = "allocation_pools"
        case dnsNameservers = "dns_nameservers"
        case hostRoutes = "host_routes"
        case enableDHCP = "enable_dhcp"
        case serviceTypes = "service_types"
    }

    /// Attribute names an update may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .gatewayIP, .allocationPools, .dnsNameservers, .hostRoutes, .enableDHCP,
         .serviceTypes].map(\.rawValue))

    public init(
        name: String? = nil, description: String? = nil, gatewayIP: NullableField<String> = .absent,
        allocationPools: [AllocationPool]? = nil, dnsNameservers: [String]? = nil, hostRoutes: [HostRoute]? = nil,
        enableDHCP: Bool? = nil, serviceTypes: [String]? = nil
    ) {
        self.name = name
        self.description = description
        self.gatewayIP = gatewayIP
        self.allocationPools = allocationPools
        self.dnsNameservers = dnsNameservers
        self.hostRoutes = hostRoutes
        self.enableDHCP = enableDHCP
        self.serviceTypes = serviceTypes
    }
}

/// `{"subnet": {...}}`, the envelope of single-subnet requests and responses.
public struct SubnetEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var subnet: Body
    public init(subnet: Body) { self.subnet = subnet }
}

/// `{"subnets": [...], "subnets_links": [...]}`, a page of subnets.
public struct SubnetList: Codable, Sendable, Hashable {
    public var subnets: [Subnet]
    public var subnetsLinks: [Link]?
    enum CodingKeys: String, CodingKey {
        case subnets
        case subnetsLinks = "subnets_links"
    }
    public init(subnets: [Subnet], subnetsLinks: [Link]? = nil) {
        self.subnets = subnets
        self.subnetsLinks = subnetsLinks
    }
}
