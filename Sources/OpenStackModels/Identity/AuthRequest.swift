import Foundation

/// `POST /v3/auth/tokens` body: `{"auth": {"identity": {...}, "scope": {...}}}`.
public struct AuthTokenRequest: Codable, Sendable, Hashable {
    public var auth: Auth

    public init(auth: Auth) { self.auth = auth }

    /// Password authentication by user name and domain name, scoped to a project by name.
    public static func password(
        userName: String, password: String, userDomainName: String = "Default",
        projectName: String?, projectDomainName: String = "Default"
    ) -> AuthTokenRequest {
        let user = PasswordUser(name: userName, domain: DomainRef(name: userDomainName), password: password)
        let scope = projectName.map {
            AuthScope(project: ProjectRef(name: $0, domain: DomainRef(name: projectDomainName)))
        }
        return AuthTokenRequest(
            auth: Auth(identity: AuthIdentity(methods: ["password"], password: PasswordMethod(user: user)),
                       scope: scope))
    }

    /// Token authentication (rescoping), optionally scoped to a project by id.
    public static func token(_ id: String, projectID: String? = nil) -> AuthTokenRequest {
        AuthTokenRequest(
            auth: Auth(identity: AuthIdentity(methods: ["token"], token: TokenMethod(id: id)),
                       scope: projectID.map { AuthScope(project: ProjectRef(id: $0)) }))
    }

    /// The `auth` object.
    public struct Auth: Codable, Sendable, Hashable {
        public var identity: AuthIdentity
        public var scope: AuthScope?
        public init(identity: AuthIdentity, scope: AuthScope? = nil) {
            self.identity = identity
            self.scope = scope
        }
    }
}

/// `auth.identity`: the methods used and their payloads.
public struct AuthIdentity: Codable, Sendable, Hashable {
    public var methods: [String]
    public var password: PasswordMethod?
    public var token: TokenMethod?
    public init(methods: [String], password: PasswordMethod? = nil, token: TokenMethod? = nil) {
        self.methods = methods
        self.password = password
        self.token = token
    }
}

/// `identity.password`.
public struct PasswordMethod: Codable, Sendable, Hashable {
    public var user: PasswordUser
    public init(user: PasswordUser) { self.user = user }
}

/// `identity.password.user`: by id, or by name plus domain.
public struct PasswordUser: Codable, Sendable, Hashable {
    public var id: String?
    public var name: String?
    public var domain: DomainRef?
    public var password: String
    public init(id: String? = nil, name: String? = nil, domain: DomainRef? = nil, password: String) {
        self.id = id
        self.name = name
        self.domain = domain
        self.password = password
    }
}

/// `identity.token`.
public struct TokenMethod: Codable, Sendable, Hashable {
    public var id: String
    public init(id: String) { self.id = id }
}

/// A domain named by id or name, as auth requests and token bodies carry it.
public struct DomainRef: Codable, Sendable, Hashable {
    public var id: String?
    public var name: String?
    public init(id: String? = nil, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

/// A project named by id, or by name plus domain.
public struct ProjectRef: Codable, Sendable, Hashable {
    public var id: String?
    public var name: String?
    public var domain: DomainRef?
    public init(id: String? = nil, name: String? = nil, domain: DomainRef? = nil) {
        self.id = id
        self.name = name
        self.domain = domain
    }
}

/// `auth.scope`: a project, a domain, or the string "unscoped" (`unscoped: true`).
public struct AuthScope: Codable, Sendable, Hashable {
    public var project: ProjectRef?
    public var domain: DomainRef?
    /// Set when the request asked explicitly for an unscoped token (`"scope": "unscoped"`).
    public var unscoped: Bool

    public init(project: ProjectRef? = nil, domain: DomainRef? = nil, unscoped: Bool = false) {
        self.project = project
        self.domain = domain
        self.unscoped = unscoped
    }

    enum CodingKeys: String, CodingKey { case project, domain }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            guard text == "unscoped" else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "scope must be an object or \"unscoped\"")
            }
            self.init(unscoped: true)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            project: try c.decodeIfPresent(ProjectRef.self, forKey: .project),
            domain: try c.decodeIfPresent(DomainRef.self, forKey: .domain))
    }

    public func encode(to encoder: any Encoder) throws {
        if unscoped {
            var single = encoder.singleValueContainer()
            try single.encode("unscoped")
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(project, forKey: .project)
        try c.encodeIfPresent(domain, forKey: .domain)
    }
}
