import Foundation

/// A Keystone project.
public struct Project: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var domainID: String
    public var enabled: Bool
    public var isDomain: Bool
    public var parentID: String?
    public var tags: [String]
    public var links: EntityLinks?

    enum CodingKeys: String, CodingKey {
        case id, name, description, enabled, tags, links
        case domainID = "domain_id"
        case isDomain = "is_domain"
        case parentID = "parent_id"
    }

    public init(
        id: String, name: String, description: String = "", domainID: String, enabled: Bool = true,
        isDomain: Bool = false, parentID: String? = nil, tags: [String] = [], links: EntityLinks? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.domainID = domainID
        self.enabled = enabled
        self.isDomain = isDomain
        self.parentID = parentID
        self.tags = tags
        self.links = links
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        domainID = try c.decodeIfPresent(String.self, forKey: .domainID) ?? "default"
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        isDomain = try c.decodeIfPresent(Bool.self, forKey: .isDomain) ?? false
        parentID = try c.decodeIfPresent(String.self, forKey: .parentID)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        links = try c.decodeIfPresent(EntityLinks.self, forKey: .links)
    }
}

/// `{"project": {...}}`.
public struct ProjectResponse: Codable, Sendable, Hashable {
    public var project: Project
    public init(project: Project) { self.project = project }
}

/// `{"projects": [...], "links": {...}}` (also `GET /v3/auth/projects`).
public struct ProjectList: Codable, Sendable, Hashable {
    public var projects: [Project]
    public var links: CollectionLinks?
    public init(projects: [Project], links: CollectionLinks? = nil) {
        self.projects = projects
        self.links = links
    }
}

/// A Keystone domain.
public struct Domain: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var enabled: Bool
    public var links: EntityLinks?
    public init(id: String, name: String, description: String = "", enabled: Bool = true, links: EntityLinks? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.enabled = enabled
        self.links = links
    }
}

/// `{"domains": [...], "links": {...}}`.
public struct DomainList: Codable, Sendable, Hashable {
    public var domains: [Domain]
    public var links: CollectionLinks?
    public init(domains: [Domain], links: CollectionLinks? = nil) {
        self.domains = domains
        self.links = links
    }
}

/// `{"domain": {...}}`.
public struct DomainResponse: Codable, Sendable, Hashable {
    public var domain: Domain
    public init(domain: Domain) { self.domain = domain }
}

/// `POST /v3/projects` body.
public struct ProjectCreateRequest: Codable, Sendable, Hashable {
    /// The new project's fields.
    public struct Body: Codable, Sendable, Hashable {
        public var name: String
        public var description: String?
        public var domainID: String?
        public var enabled: Bool?
        enum CodingKeys: String, CodingKey {
            case name, description, enabled
            case domainID = "domain_id"
        }
        public init(name: String, description: String? = nil, domainID: String? = nil, enabled: Bool? = nil) {
            self.name = name
            self.description = description
            self.domainID = domainID
            self.enabled = enabled
        }
    }
    public var project: Body
    public init(project: Body) { self.project = project }
}
