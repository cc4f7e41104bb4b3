import Foundation

/// A Keystone user (never with its password).
public struct User: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var domainID: String
    public var enabled: Bool
    public var defaultProjectID: String?
    public var email: String?
    public var passwordExpiresAt: String?
    public var links: EntityLinks?

    enum CodingKeys: String, CodingKey {
        case id, name, enabled, email, links
        case domainID = "domain_id"
        case defaultProjectID = "default_project_id"
        case passwordExpiresAt = "password_expires_at"
    }

    public init(
        id: String, name: String, domainID: String, enabled: Bool = true, defaultProjectID: String? = nil,
        email: String? = nil, passwordExpiresAt: String? = nil, links: EntityLinks? = nil
    ) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.enabled = enabled
        self.defaultProjectID = defaultProjectID
        self.email = email
        self.passwordExpiresAt = passwordExpiresAt
        self.links = links
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(domainID, forKey: .domainID)
        try c.encode(enabled, forKey: .enabled)
        try c.encodeIfPresent(defaultProjectID, forKey: .defaultProjectID)
        try c.encodeIfPresent(email, forKey: .email)
        try c.encode(passwordExpiresAt, forKey: .passwordExpiresAt)
        try c.encodeIfPresent(links, forKey: .links)
    }
}

/// `{"user": {...}}`.
public struct UserResponse: Codable, Sendable, Hashable {
    public var user: User
    public init(user: User) { self.user = user }
}

/// `{"users": [...], "links": {...}}`.
public struct UserList: Codable, Sendable, Hashable {
    public var users: [User]
    public var links: CollectionLinks?
    public init(users: [User], links: CollectionLinks? = nil) {
        self.users = users
        self.links = links
    }
}

/// `POST /v3/users` body.
public struct UserCreateRequest: Codable, Sendable, Hashable {
    /// The new user's fields.
    public struct Body: Codable, Sendable, Hashable {
        public var name: String
        public var password: String?
        public var domainID: String?
        public var defaultProjectID: String?
        public var email: String?
        public var enabled: Bool?
        enum CodingKeys: String, CodingKey {
            case name, password, email, enabled
            case domainID = "domain_id"
            case defaultProjectID = "default_project_id"
        }
        public init(
            name: String, password: String? = nil, domainID: String? = nil, defaultProjectID: String? = nil,
            email: String? = nil, enabled: Bool? = nil
        ) {
            self.name = name
            self.password = password
            self.domainID = domainID
            self.defaultProjectID = defaultProjectID
            self.email = email
            self.enabled = enabled
        }
    }
    public var user: Body
    public init(user: Body) { self.user = user }
}
