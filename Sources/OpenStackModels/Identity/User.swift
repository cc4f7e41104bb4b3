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
