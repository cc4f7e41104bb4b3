import Foundation

/// A Neutron network as `GET /v2.0/networks/{id}` returns it (core, provider, external-net,
/// availability_zone, mtu, port-security, standard-attr and tag attributes).
public struct Network: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var tenantID: String
    public var projectID: String
    public var adminStateUp: Bool
    public var status: String
    public var subnets: [String]
    public var shared: Bool
    public var routerExternal: Bool
    public var mtu: Int?
    public var availabilityZoneHints: [String]
    public var availabilityZones: [String]
    @ExplicitNull public var providerNetworkType: String?
    @ExplicitNull public var providerPhysicalNetwork: String?
    @ExplicitNull public var providerSegmentationID: Int?
    @ExplicitNull public var portSecurityEnabled: Bool?
    @ExplicitNull public var ipv4AddressScope: String?
    @ExplicitNull public var ipv6AddressScope: String?
    @ExplicitNull public var qosPolicyID: String?
    @ExplicitNull public var isDefault: Bool?
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, status, subnets, shared, mtu, tags
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case adminStateUp = "admin_state_up"
        case routerExternal = "router:external"
        case availabilityZoneHints = "availability_zone_hints"
        case availabilityZones = "availability_zones"
        case providerNetworkType = "provider:network_type"
        case providerPhysicalNetwork = "provider:physical_network"
        case providerSegmentationID = "provider:segmentation_id"
        case portSecurityEnabled = "port_security_enabled"
        case ipv4AddressScope = "ipv4_address_scope"
        case ipv6AddressScope = "ipv6_address_scope"
        case qosPolicyID = "qos_policy_id"
        case isDefault = "is_default"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, name: String = "", description: String = "", projectID: String,
        adminStateUp: Bool = true, status: String = "ACTIVE", subnets: [String] = [], shared: Bool = false,
        routerExternal: Bool = false, mtu: Int? = 1450, availabilityZoneHints: [String] = [],
        availabilityZones: [String] = [], providerNetworkType: String? = nil,
        providerPhysicalNetwork: String? = nil, providerSegmentationID: Int? = nil,
        portSecurityEnabled: Bool? = true, ipv4AddressScope: String? = nil, ipv6AddressScope: String? = nil,
        qosPolicyID: String? = nil, isDefault: Bool? = nil, tags: [String] = [], createdAt: String,
        updatedAt: String, revisionNumber: Int = 1
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.tenantID = projectID
        self.projectID = projectID
        self.adminStateUp = adminStateUp
        self.status = status
        self.subnets = subnets
        self.shared = shared
        self.routerExternal = routerExternal
        self.mtu = mtu
        self.availabilityZoneHints = availabilityZoneHints
        self.availabilityZones = availabilityZones
        self.providerNetworkType = providerNetworkType
        self.providerPhysicalNetwork = providerPhysicalNetwork
        self.providerSegmentationID = providerSegmentationID
        self.portSecurityEnabled = portSecurityEnabled
        self.ipv4AddressScope = ipv4AddressScope
        self.ipv6AddressScope = ipv6AddressScope
        self.qosPolicyID = qosPolicyID
        self.isDefault = isDefault
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
        let tenant = try c.decodeIfPresent(String.self, forKey: .tenantID)
        let project = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = tenant ?? project ?? ""
        projectID = project ?? tenant ?? ""
        adminStateUp = try c.decodeIfPresent(Bool.self, forKey: .adminStateUp) ?? true
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "ACTIVE"
        subnets = try c.decodeIfPresent([String].self, forKey: .subnets) ?? []
        shared = try c.decodeIfPresent(Bool.self, forKey: .shared) ?? false
        routerExternal = try c.decodeIfPresent(Bool.self, forKey: .routerExternal) ?? false
        mtu = try c.decodeIfPresent(Int.self, forKey: .mtu)
        availabilityZoneHints = try c.decodeIfPresent([String].self, forKey: .availabilityZoneHints) ?? []
        availabilityZones = try c.decodeIfPresent([String].self, forKey: .availabilityZones) ?? []
        _providerNetworkType = try c.decode(ExplicitNull<String>.self, forKey: .providerNetworkType)
        _providerPhysicalNetwork = try c.decode(ExplicitNull<String>.self, forKey: .providerPhysicalNetwork)
        _providerSegmentationID = try c.decode(ExplicitNull<Int>.self, forKey: .providerSegmentationID)
        _portSecurityEnabled = try c.decode(ExplicitNull<Bool>.self, forKey: .portSecurityEnabled)
        _ipv4AddressScope = try c.decode(ExplicitNull<String>.self, forKey: .ipv4AddressScope)
        _ipv6AddressScope = try c.decode(ExplicitNull<String>.self, forKey: .ipv6AddressScope)
        _qosPolicyID = try c.decode(ExplicitNull<String>.self, forKey: .qosPolicyID)
        _isDefault = try c.decode(ExplicitNull<Bool>.self, forKey: .isDefault)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/networks` (`{"network": {...}}`); nil fields are left out.
public struct NetworkCreate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var adminStateUp: Bool?
    public var shared: Bool?
    public var routerExternal: Bool?
    public var mtu: Int?
    public var availabilityZoneHints: [String]?
    public var providerNetworkType: String?
    public var providerPhysicalNetwork: String?
    public var providerSegmentationID: Int?
    public var portSecurityEnabled: Bool?
    public var qosPolicyID: String?
    public var isDefault: Bool?
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description, shared, mtu, tags
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case adminStateUp = "admin_state_up"
        case routerExternal = "router:external"
        case availabilityZoneHints = "availability_zone_hints"
        case providerNetworkType = "provider:network_type"
        case providerPhysicalNetwork = "provider:physical_network"
        case providerSegmentationID = "provider:segmentation_id"
        case portSecurityEnabled = "port_security_enabled"
        case qosPolicyID = "qos_policy_id"
        case isDefault = "is_default"
    }

    /// Attribute names this body may carry (anything else is "Unrecognized attribute(s)").
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .shared, .mtu, .tags, .projectID, .tenantID, .adminStateUp,
         .routerExternal, .availabilityZoneHints, .providerNetworkType, .providerPhysicalNetwork,
         .providerSegmentationID, .portSecurityEnabled, .qosPolicyID, .isDefault].map(\.rawValue))

    public init(
        name: String? = nil, description: String? = nil, projectID: String? = nil, adminStateUp: Bool? = nil,
        shared: Bool? = nil, routerExternal: Bool? = nil, mtu: Int? = nil, availabilityZoneHints: [String]? = nil,
        providerNetworkType: String? = nil, providerPhysicalNetwork: String? = nil,
        providerSegmentationID: Int? = nil, portSecurityEnabled: Bool? = nil, qosPolicyID: String? = nil,
        isDefault: Bool? = nil, tags: [String]? = nil
    ) {
        self.name = name
        self.description = description
        self.projectID = projectID
        self.adminStateUp = adminStateUp
        self.shared = shared
        self.routerExternal = routerExternal
        self.mtu = mtu
        self.availabilityZoneHints = availabilityZoneHints
        self.providerNetworkType = providerNetworkType
        self.providerPhysicalNetwork = providerPhysicalNetwork
        self.providerSegmentationID = providerSegmentationID
        self.portSecurityEnabled = portSecurityEnabled
        self.qosPolicyID = qosPolicyID
        self.isDefault = isDefault
        self.tags = tags
    }
}

/// The body of `PUT /v2.0/networks/{id}`; nil fields are left unchanged.
public struct NetworkUpdate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var adminStateUp: Bool?
    public var shared: Bool?
    public var routerExternal: Bool?
    public var mtu: Int?
    public var portSecurityEnabled: Bool?
    public var qosPolicyID: NullableField<String>
    public var isDefault: Bool?

    enum CodingKeys: String, CodingKey {
        case name, description, shared, mtu
        case adminStateUp = "admin_state_up"
        case routerExternal = "router:external"
        case portSecurityEnabled = "port_security_enabled"
        case qosPolicyID = "qos_policy_id"
        case isDefault = "is_default"
    }

    /// Attribute names an update may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .shared, .mtu, .adminStateUp, .routerExternal, .portSecurityEnabled,
         .qosPolicyID, .isDefault].map(\.rawValue))

    public init(
        name: String? = nil, description: String? = nil, adminStateUp: Bool? = nil, shared: Bool? = nil,
        routerExternal: Bool? = nil, mtu: Int? = nil, portSecurityEnabled: Bool? = nil,
        qosPolicyID: NullableField<String> = .absent, isDefault: Bool? = nil
    ) {
        self.name = name
        self.description = description
        self.adminStateUp = adminStateUp
        self.shared = shared
        self.routerExternal = routerExternal
        self.mtu = mtu
        self.portSecurityEnabled = portSecurityEnabled
        self.qosPolicyID = qosPolicyID
        self.isDefault = isDefault
    }
}

/// `{"network": {...}}`, the envelope of single-network requests and responses.
public struct NetworkEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var network: Body
    public init(network: Body) { self.network = network }
}

/// `{"networks": [...], "networks_links": [...]}`, a page of networks.
public struct NetworkList: Codable, Sendable, Hashable {
    public var networks: [Network]
    public var networksLinks: [Link]?
    enum CodingKeys: String, CodingKey {
        case networks
        case networksLinks = "networks_links"
    }
    public init(networks: [Network], networksLinks: [Link]? = nil) {
        self.networks = networks
        self.networksLinks = networksLinks
    }
}
