import Foundation

/// A Keystone role.
public struct Role: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var domainID: String?
    public var description: String?
    public var links: EntityLinks?

    enum CodingKeys: String, CodingKey {
        case id, name, description, links
        case domainID = "domain_id"
    }

    public init(id: String, name: String, domainID: String? = nil, description: String? = nil, links: EntityLinks? = nil) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.description = description
        self.links = links
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(domainID, forKey: .domainID)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(links, forKey: .links)
    }
}

/// `{"role": {...}}`.
public struct RoleResponse: Codable, Sendable, Hashable {
    public var role: Role
    public init(role: Role) { self.role = role }
}

/// `{"roles": [...], "links": {...}}`.
public struct RoleList: Codable, Sendable, Hashable {
    public var roles: [Role]
    public var links: CollectionLinks?
    public init(roles: [Role], links: CollectionLinks? = nil) {
        self.roles = roles
        self.links = links
    }
}

/// One entry of `GET /v3/role_assignments`.
public struct RoleAssignment: Codable, Sendable, Hashable {
    /// `{"id": ..., "name": ...}`; names only with `?include_names`.
    public struct Ref: Codable, Sendable, Hashable {
        public var id: String
        public var name: String?
        public var domain: DomainRef?
        public init(id: String, name: String? = nil, domain: DomainRef? = nil) {
            self.id = id
            self.name = name
            self.domain = domain
        }
    }
    /// `{"project": {...}}` or `{"domain": {...}}`.
    public struct Scope: Codable, Sendable, Hashable {
        public var project: Ref?
        public var domain: Ref?
        public init(project: Ref? = nil, domain: Ref? = nil) {
            self.project = project
            self.domain = domain
        }
    }
    /// `{"assignment": "<url>"}`.
    public struct Links: Codable, Sendable, Hashable {
        public var assignment: String
        public init(assignment: String) { self.assignment = assignment }
    }
    public var role: Ref
    public var user: Ref?
    public var scope: Scope
    public var links: Links?
    public init(role: Ref, user: Ref?, scope: Scope, links: Links? = nil) {
        self.role = role
        self.user = user
        self.scope = scope
        self.links = links
    }
}

/// `{"role_assignments": [...], "links": {...}}`.
public struct RoleAssignmentList: Codable, Sendable, Hashable {
    public var roleAssignments: [RoleAssignment]
    public var links: CollectionLinks?
    enum CodingKeys: String, CodingKey {
        case roleAssignments = "role_assignments"
        case links
    }
    public init(roleAssignments: [RoleAssignment], links: CollectionLinks? = nil) {
        self.roleAssignments = roleAssignments
        self.links = links
    }
}

/// `POST /v3/roles` body.
public struct RoleCreateRequest: Codable, Sendable, Hashable {
    /// The new role's fields.
    public struct Body: Codable, Sendable, Hashable {
        public var name: String
        public var description: String?
        public init(name: String, description: String? = nil) {
            self.name = name
            self.description = description
        }
    }
    public var role: Body
    public init(role: Body) { self.role = role }
}
