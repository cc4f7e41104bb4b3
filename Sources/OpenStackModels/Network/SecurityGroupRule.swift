import Foundation

/// A Neutron security group rule as `GET /v2.0/security-group-rules/{id}` returns it.
public struct SecurityGroupRule: Codable, Sendable, Hashable {
    public var id: String
    public var securityGroupID: String
    public var tenantID: String
    public var projectID: String
    /// "ingress" or "egress".
    public var direction: String
    /// "IPv4" or "IPv6".
    public var ethertype: String
    @ExplicitNull public var `protocol`: String?
    @ExplicitNull public var portRangeMin: Int?
    @ExplicitNull public var portRangeMax: Int?
    @ExplicitNull public var remoteIPPrefix: String?
    @ExplicitNull public var remoteGroupID: String?
    @ExplicitNull public var remoteAddressGroupID: String?
    public var description: String
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, direction, ethertype, `protocol`, description
        case securityGroupID = "security_group_id"
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case portRangeMin = "port_range_min"
        case portRangeMax = "port_range_max"
        case remoteIPPrefix = "remote_ip_prefix"
        case remoteGroupID = "remote_group_id"
        case remoteAddressGroupID = "remote_address_group_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, securityGroupID: String, projectID: String, direction: String, ethertype: String = "IPv4",
        protocol: String? = nil, portRangeMin: Int? = nil, portRangeMax: Int? = nil, remoteIPPrefix: String? = nil,
        remoteGroupID: String? = nil, remoteAddressGroupID: String? = nil, description: String = "",
        createdAt: String, updatedAt: String, revisionNumber: Int = 0
    ) {
        self.id = id
        self.securityGroupID = securityGroupID
        self.tenantID = projectID
        self.projectID = projectID
        self.direction = direction
        self.ethertype = ethertype
        self.protocol = `protocol`
        self.portRangeMin = portRangeMin
        self.portRangeMax = portRangeMax
        self.remoteIPPrefix = remoteIPPrefix
        self.remoteGroupID = remoteGroupID
        self.remoteAddressGroupID = remoteAddressGroupID
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revisionNumber = revisionNumber
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        securityGroupID = try c.decode(String.self, forKey: .securityGroupID)
        let tenant = try c.decodeIfPresent(String.self, forKey: .tenantID)
        let project = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = tenant ?? project ?? ""
        projectID = project ?? tenant ?? ""
        direction = try c.decode(String.self, forKey: .direction)
        ethertype = try c.decodeIfPresent(String.self, forKey: .ethertype) ?? "IPv4"
        _protocol = try c.decode(ExplicitNull<String>.self, forKey: .protocol)
        _portRangeMin = try c.decode(ExplicitNull<Int>.self, forKey: .portRangeMin)
        _portRangeMax = try c.decode(ExplicitNull<Int>.self, forKey: .portRangeMax)
        _remoteIPPrefix = try c.decode(ExplicitNull<String>.self, forKey: .remoteIPPrefix)
        _remoteGroupID = try c.decode(ExplicitNull<String>.self, forKey: .remoteGroupID)
        _remoteAddressGroupID = try c.decode(ExplicitNull<String>.self, forKey: .remoteAddressGroupID)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/security-group-rules`. `protocol` may be a name or a number in a string;
/// Neutron also accepts a JSON number there, which decodes to the same string.
public struct SecurityGroupRuleCreate: Codable, Sendable, Hashable {
    public var securityGroupID: String?
    public var direction: String?
    public var ethertype: String?
    public var `protocol`: String?
    public var portRangeMin: Int?
    public var portRangeMax: Int?
    public var remoteIPPrefix: String?
    public var remoteGroupID: String?
    public var remoteAddressGroupID: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?

    enum CodingKeys: String, CodingKey {
        case direction, ethertype, `protocol`, description
        case securityGroupID = "security_group_id"
        case portRangeMin = "port_range_min"
        case portRangeMax = "port_range_max"
        case remoteIPPrefix = "remote_ip_prefix"
        case remoteGroupID = "remote_group_id"
        case remoteAddressGroupID = "remote_address_group_id"
        case projectID = "project_id"
        case tenantID = "tenant_id"
    }

    /// Attribute names this body may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.direction, .ethertype, .protocol, .description, .securityGroupID, .portRangeMin,
         .portRangeMax, .remoteIPPrefix, .remoteGroupID, .remoteAddressGroupID, .projectID, .tenantID]
            .map(\.rawValue))

    public init(
        securityGroupID: String, direction: String, ethertype: String? = nil, protocol: String? = nil,
        portRangeMin: Int? = nil, portRangeMax: Int? = nil, remoteIPPrefix: String? = nil,
        remoteGroupID: String? = nil, description: String? = nil, projectID: String? = nil
    ) {
        self.securityGroupID = securityGroupID
        self.direction = direction
        self.ethertype = ethertype
        self.protocol = `protocol`
        self.portRangeMin = portRangeMin
        self.portRangeMax = portRangeMax
        self.remoteIPPrefix = remoteIPPrefix
        self.remoteGroupID = remoteGroupID
        self.description = description
        self.projectID = projectID
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        securityGroupID = try c.decodeIfPresent(String.self, forKey: .securityGroupID)
        direction = try c.decodeIfPresent(String.self, forKey: .direction)
        ethertype = try c.decodeIfPresent(String.self, forKey: .ethertype)
        if let number = try? c.decodeIfPresent(Int.self, forKey: .protocol) {
            `protocol` = String(number)
        } else {
            `protocol` = try c.decodeIfPresent(String.self, forKey: .protocol)
        }
        portRangeMin = try c.decodeIfPresent(Int.self, forKey: .portRangeMin)
        portRangeMax = try c.decodeIfPresent(Int.self, forKey: .portRangeMax)
        remoteIPPrefix = try c.decodeIfPresent(String.self, forKey: .remoteIPPrefix)
        remoteGroupID = try c.decodeIfPresent(String.self, forKey: .remoteGroupID)
        remoteAddressGroupID = try c.decodeIfPresent(String.self, forKey: .remoteAddressGroupID)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        projectID = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = try c.decodeIfPresent(String.self, forKey: .tenantID)
    }
}

/// `{"security_group_rule": {...}}`, the envelope of single-rule requests and responses.
public struct SecurityGroupRuleEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var securityGroupRule: Body
    enum CodingKeys: String, CodingKey { case securityGroupRule = "security_group_rule" }
    public init(securityGroupRule: Body) { self.securityGroupRule = securityGroupRule }
}
