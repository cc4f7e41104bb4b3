import Foundation

/// A Neutron security group as `GET /v2.0/security-groups/{id}` returns it, rules embedded.
public struct SecurityGroup: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var tenantID: String
    public var projectID: String
    public var securityGroupRules: [SecurityGroupRule]
    public var stateful: Bool
    public var shared: Bool
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, stateful, shared, tags
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case securityGroupRules = "security_group_rules"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, name: String, description: String = "", projectID: String,
        securityGroupRules: [SecurityGroupRule] = [], stateful: Bool = true, shared: Bool = false,
        tags: [String] = [], createdAt: String, updatedAt: String, revisionNumber: Int = 1
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.tenantID = projectID
        self.projectID = projectID
        self.securityGroupRules = securityGroupRules
        self.stateful = stateful
        self.shared = shared
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
        securityGroupRules = try c.decodeIfPresent([SecurityGroupRule].self, forKey: .securityGroupRules) ?? []
        stateful = try c.decodeIfPresent(Bool.self, forKey: .stateful) ?? true
        shared = try c.decodeIfPresent(Bool.self, forKey: .shared) ?? false
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/security-groups` (and, without `projectID`, of `PUT`).
public struct SecurityGroupCreate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var stateful: Bool?
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description, stateful, tags
        case projectID = "project_id"
        case tenantID = "tenant_id"
    }

    /// Attribute names this body may carry.
    public static let attributeNames: Set<String> = ["name", "description", "stateful", "tags", "project_id",
                                                     "tenant_id"]

    public init(name: String? = nil, description: String? = nil, projectID: String? = nil, stateful: Bool? = nil) {
        self.name = name
        self.description = description
        self.projectID = projectID
        self.stateful = stateful
    }
}

/// The body of `PUT /v2.0/security-groups/{id}`.
public typealias SecurityGroupUpdate = SecurityGroupCreate

/// `{"security_group": {...}}`, the envelope of single-group requests and responses.
public struct SecurityGroupEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var securityGroup: Body
    enum CodingKeys: String, CodingKey { case securityGroup = "security_group" }
    public init(securityGroup: Body) { self.securityGroup = securityGroup }
}

/// `{"security_groups": [...], "security_groups_links": [...]}`, a page of groups.
public struct SecurityGroupList: Codable, Sendable, Hashable {
    public var securityGroups: [SecurityGroup]
    public var securityGroupsLinks: [Link]?
    enum CodingKeys: String, CodingKey {
        case securityGroups = "security_groups"
        case securityGroupsLinks = "security_groups_links"
    }
    public init(securityGroups: [SecurityGroup], securityGroupsLinks: [Link]? = nil) {
        self.securityGroups = securityGroups
        self.securityGroupsLinks = securityGroupsLinks
    }
}
