import Foundation

/// A router's `external_gateway_info`.
public struct ExternalGatewayInfo: Codable, Sendable, Hashable {
    public var networkID: String
    public var enableSnat: Bool?
    public var externalFixedIPs: [FixedIP]?
    enum CodingKeys: String, CodingKey {
        case networkID = "network_id"
        case enableSnat = "enable_snat"
        case externalFixedIPs = "external_fixed_ips"
    }
    public init(networkID: String, enableSnat: Bool? = nil, externalFixedIPs: [FixedIP]? = nil) {
        self.networkID = networkID
        self.enableSnat = enableSnat
        self.externalFixedIPs = externalFixedIPs
    }
}

/// A Neutron router as `GET /v2.0/routers/{id}` returns it (router, extraroute, availability_zone,
/// standard-attr and tag attributes).
public struct NeutronRouter: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var tenantID: String
    public var projectID: String
    public var adminStateUp: Bool
    public var status: String
    @ExplicitNull public var externalGatewayInfo: ExternalGatewayInfo?
    public var routes: [HostRoute]
    public var availabilityZoneHints: [String]
    public var availabilityZones: [String]
    @ExplicitNull public var distributed: Bool?
    @ExplicitNull public var ha: Bool?
    @ExplicitNull public var flavorID: String?
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, status, routes, distributed, ha, tags
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case adminStateUp = "admin_state_up"
        case externalGatewayInfo = "external_gateway_info"
        case availabilityZoneHints = "availability_zone_hints"
        case availabilityZones = "availability_zones"
        case flavorID = "flavor_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, name: String = "", description: String = "", projectID: String, adminStateUp: Bool = true,
        status: String = "ACTIVE", externalGatewayInfo: ExternalGatewayInfo? = nil, routes: [HostRoute] = [],
        availabilityZoneHints: [String] = [], availabilityZones: [String] = [], distributed: Bool? = false,
        ha: Bool? = false, flavorID: String? = nil, tags: [String] = [], createdAt: String, updatedAt: String,
        revisionNumber: Int = 1
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.tenantID = projectID
        self.projectID = projectID
        self.adminStateUp = adminStateUp
        self.status = status
        self.externalGatewayInfo = externalGatewayInfo
        self.routes = routes
        self.availabilityZoneHints = availabilityZoneHints
        self.availabilityZones = availabilityZones
        self.distributed = distributed
        self.ha = ha
        self.flavorID = flavorID
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
        _externalGatewayInfo = try c.decode(ExplicitNull<ExternalGatewayInfo>.self, forKey: .externalGatewayInfo)
        routes = try c.decodeIfPresent([HostRoute].self, forKey: .routes) ?? []
        availabilityZoneHints = try c.decodeIfPresent([String].self, forKey: .availabilityZoneHints) ?? []
        availabilityZones = try c.decodeIfPresent([String].self, forKey: .availabilityZones) ?? []
        _distributed = try c.decode(ExplicitNull<Bool>.self, forKey: .distributed)
        _ha = try c.decode(ExplicitNull<Bool>.self, forKey: .ha)
        _flavorID = try c.decode(ExplicitNull<String>.self, forKey: .flavorID)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/routers`; nil fields are left out.
public struct RouterCreate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var adminStateUp: Bool?
    public var externalGatewayInfo: NullableField<ExternalGatewayInfo>
    public var availabilityZoneHints: [String]?
    public var distributed: Bool?
    public var ha: Bool?
    public var flavorID: String?
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description, distributed, ha, tags
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case adminStateUp = "admin_state_up"
        case externalGatewayInfo = "external_gateway_info"
        case availabilityZoneHints = "availability_zone_hints"
        case flavorID = "flavor_id"
    }

    /// Attribute names this body may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .distributed, .ha, .tags, .projectID, .tenantID, .adminStateUp,
         .externalGatewayInfo, .availabilityZoneHints, .flavorID].map(\.rawValue))

    public init(
        name: String? = nil, description: String? = nil, projectID: String? = nil, adminStateUp: Bool? = nil,
        externalGatewayInfo: ExternalGatewayInfo? = nil, availabilityZoneHints: [String]? = nil,
        tags: [String]? = nil
    ) {
        self.name = name
        self.description = description
        self.projectID = projectID
        self.adminStateUp = adminStateUp
        self.externalGatewayInfo = externalGatewayInfo.map { .value($0) } ?? .absent
        self.availabilityZoneHints = availabilityZoneHints
        self.tags = tags
    }
}

/// The body of `PUT /v2.0/routers/{id}`; `external_gateway_info: null` clears the gateway.
public struct RouterUpdate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var adminStateUp: Bool?
    public var externalGatewayInfo: NullableField<ExternalGatewayInfo>
    public var routes: [HostRoute]?
    public var distributed: Bool?
    public var ha: Bool?

    enum CodingKeys: String, CodingKey {
        case name, description, routes, distributed, ha
        case adminStateUp = "admin_state_up"
        case externalGatewayInfo = "external_gateway_info"
    }

    /// Attribute names an update may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .routes, .distributed, .ha, .adminStateUp, .externalGatewayInfo]
            .map(\.rawValue))

    public init(
        name: String? = nil, description: String? = nil, adminStateUp: Bool? = nil,
        externalGatewayInfo: NullableField<ExternalGatewayInfo> = .absent, routes: [HostRoute]? = nil
    ) {
        self.name = name
        self.description = description
        self.adminStateUp = adminStateUp
        self.externalGatewayInfo = externalGatewayInfo
        self.routes = routes
    }
}

/// The body of `PUT /v2.0/routers/{id}/add_router_interface` (and remove): a subnet or a port.
public struct RouterInterfaceRequest: Codable, Sendable, Hashable {
    public var subnetID: String?
    public var portID: String?
    enum CodingKeys: String, CodingKey {
        case subnetID = "subnet_id"
        case portID = "port_id"
    }
    public init(subnetID: String? = nil, portID: String? = nil) {
        self.subnetID = subnetID
        self.portID = portID
    }
}

/// The answer to add/remove_router_interface.
public struct RouterInterfaceInfo: Codable, Sendable, Hashable {
    /// The router's id.
    public var id: String
    public var tenantID: String
    public var projectID: String
    public var portID: String
    public var networkID: String
    public var subnetID: String
    public var subnetIDs: [String]
    enum CodingKeys: String, CodingKey {
        case id
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case portID = "port_id"
        case networkID = "network_id"
        case subnetID = "subnet_id"
        case subnetIDs = "subnet_ids"
    }
    public init(id: String, projectID: String, portID: String, networkID: String, subnetID: String,
                subnetIDs: [String]) {
        self.id = id
        self.tenantID = projectID
        self.projectID = projectID
        self.portID = portID
        self.networkID = networkID
        self.subnetID = subnetID
        self.subnetIDs = subnetIDs
    }
}

/// `{"router": {"routes": [...]}}`, the body of add_extraroutes / remove_extraroutes.
public struct ExtraRoutesRequest: Codable, Sendable, Hashable {
    public struct Routes: Codable, Sendable, Hashable {
        public var routes: [HostRoute]
        public init(routes: [HostRoute]) { self.routes = routes }
    }
    public var router: Routes
    public init(routes: [HostRoute]) { router = Routes(routes: routes) }
}

/// `{"router": {...}}`, the envelope of single-router requests and responses.
public struct RouterEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var router: Body
    public init(router: Body) { self.router = router }
}
