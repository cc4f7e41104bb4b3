import Foundation

/// A Neutron floating IP as `GET /v2.0/floatingips/{id}` returns it.
public struct FloatingIP: Codable, Sendable, Hashable {
    public var id: String
    public var tenantID: String
    public var projectID: String
    public var floatingIPAddress: String
    public var floatingNetworkID: String
    @ExplicitNull public var routerID: String?
    @ExplicitNull public var portID: String?
    @ExplicitNull public var fixedIPAddress: String?
    /// "ACTIVE" when associated, "DOWN" otherwise.
    public var status: String
    public var description: String
    @ExplicitNull public var qosPolicyID: String?
    public var portForwardings: [JSONValue]
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, status, description, tags
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case floatingIPAddress = "floating_ip_address"
        case floatingNetworkID = "floating_network_id"
        case routerID = "router_id"
        case portID = "port_id"
        case fixedIPAddress = "fixed_ip_address"
        case qosPolicyID = "qos_policy_id"
        case portForwardings = "port_forwardings"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, projectID: String, floatingIPAddress: String, floatingNetworkID: String,
        routerID: String? = nil, portID: String? = nil, fixedIPAddress: String? = nil, status: String = "DOWN",
        description: String = "", qosPolicyID: String? = nil, portForwardings: [JSONValue] = [],
        tags: [String] = [], createdAt: String, updatedAt: String, revisionNumber: Int = 0
    ) {
        self.id = id
        self.tenantID = projectID
        self.projectID = projectID
        self.floatingIPAddress = floatingIPAddress
        self.floatingNetworkID = floatingNetworkID
        self.routerID = routerID
        self.portID = portID
        self.fixedIPAddress = fixedIPAddress
        self.status = status
        self.description = description
        self.qosPolicyID = qosPolicyID
        self.portForwardings = portForwardings
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revisionNumber = revisionNumber
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        let tenant = try c.decodeIfPresent(String.self, forKey: .tenantID)
        let project = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = tenant ?? project ?? ""
        projectID = project ?? tenant ?? ""
        floatingIPAddress = try c.decode(String.self, forKey: .floatingIPAddress)
        floatingNetworkID = try c.decode(String.self, forKey: .floatingNetworkID)
        _routerID = try c.decode(ExplicitNull<String>.self, forKey: .routerID)
        _portID = try c.decode(ExplicitNull<String>.self, forKey: .portID)
        _fixedIPAddress = try c.decode(ExplicitNull<String>.self, forKey: .fixedIPAddress)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "DOWN"
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        _qosPolicyID = try c.decode(ExplicitNull<String>.self, forKey: .qosPolicyID)
        portForwardings = try c.decodeIfPresent([JSONValue].self, forKey: .portForwardings) ?? []
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/floatingips`.
public struct FloatingIPCreate: Codable, Sendable, Hashable {
    public var floatingNetworkID: String?
    public var floatingIPAddress: String?
    public var subnetID: String?
    public var portID: String?
    public var fixedIPAddress: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var qosPolicyID: String?
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case description
        case floatingNetworkID = "floating_network_id"
        case floatingIPAddress = "floating_ip_address"
        case subnetID = "subnet_id"
        case portID = "port_id"
        case fixedIPAddress = "fixed_ip_address"
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case qosPolicyID = "qos_policy_id"
        case tags
    }

    /// Attribute names this body may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.description, .floatingNetworkID, .floatingIPAddress, .subnetID, .portID, .fixedIPAddress,
         .projectID, .tenantID, .qosPolicyID, .tags].map(\.rawValue))

    public init(
        floatingNetworkID: String, floatingIPAddress: String? = nil, subnetID: String? = nil, portID: String? = nil,
        fixedIPAddress: String? = nil, description: String? = nil, projectID: String? = nil
    ) {
        self.floatingNetworkID = floatingNetworkID
        self.floatingIPAddress = floatingIPAddress
        self.subnetID = subnetID
        self.portID = portID
        self.fixedIPAddress = fixedIPAddress
        self.description = description
        self.projectID = projectID
    }
}

/// The body of `PUT /v2.0/floatingips/{id}`: `port_id: null` disassociates.
public struct FloatingIPUpdate: Codable, Sendable, Hashable {
    public var portID: NullableField<String>
    public var fixedIPAddress: String?
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case description
        case portID = "port_id"
        case fixedIPAddress = "fixed_ip_address"
    }

    /// Attribute names an update may carry.
    public static let attributeNames: Set<String> = ["port_id", "fixed_ip_address", "description", "qos_policy_id"]

    public init(portID: NullableField<String> = .absent, fixedIPAddress: String? = nil, description: String? = nil) {
        self.portID = portID
        self.fixedIPAddress = fixedIPAddress
        self.description = description
    }
}

/// `{"floatingip": {...}}`, the envelope of single floating IP requests and responses.
public struct FloatingIPEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var floatingip: Body
    public init(floatingip: Body) { self.floatingip = floatingip }
}
