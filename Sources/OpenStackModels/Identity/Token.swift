import Foundation

/// `{"token": {...}}` as `POST /v3/auth/tokens` and `GET /v3/auth/tokens` answer.
public struct TokenResponse: Codable, Sendable, Hashable {
    public var token: Token
    public init(token: Token) { self.token = token }
}

/// A Keystone v3 token body (the id itself travels in the `X-Subject-Token` header).
public struct Token: Codable, Sendable, Hashable {
    public var methods: [String]
    public var user: TokenUser
    public var auditIDs: [String]
    /// `2026-11-22T06:27:00.000000Z`
    public var expiresAt: String
    public var issuedAt: String
    public var project: TokenProject?
    public var domain: TokenDomain?
    public var isDomain: Bool?
    public var roles: [TokenRole]?
    /// Absent for unscoped tokens and with `?nocatalog`.
    public var catalog: [CatalogEntry]?

    enum CodingKeys: String, CodingKey {
        case methods, user, project, domain, roles, catalog
        case auditIDs = "audit_ids"
        case expiresAt = "expires_at"
        case issuedAt = "issued_at"
        case isDomain = "is_domain"
    }

    public init(
        methods: [String], user: TokenUser, auditIDs: [String], expiresAt: String, issuedAt: String,
        project: TokenProject? = nil, domain: TokenDomain? = nil, isDomain: Bool? = nil, roles: [TokenRole]? = nil,
        catalog: [CatalogEntry]? = nil
    ) {
        self.methods = methods
        self.user = user
        self.auditIDs = auditIDs
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.project = project
        self.domain = domain
        self.isDomain = isDomain
        self.roles = roles
        self.catalog = catalog
    }
}

/// `token.user`.
public struct TokenUser: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var domain: TokenDomain
    public var passwordExpiresAt: String?

    enum CodingKeys: String, CodingKey {
        case id, name, domain
        case passwordExpiresAt = "password_expires_at"
    }

    public init(id: String, name: String, domain: TokenDomain, passwordExpiresAt: String? = nil) {
        self.id = id
        self.name = name
        self.domain = domain
        self.passwordExpiresAt = passwordExpiresAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(domain, forKey: .domain)
        // Keystone always sends the key, null when passwords do not expire.
        try c.encode(passwordExpiresAt, forKey: .passwordExpiresAt)
    }
}

/// `{"id": ..., "name": ...}` for a domain inside a token.
public struct TokenDomain: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// `token.project`.
public struct TokenProject: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var domain: TokenDomain
    public init(id: String, name: String, domain: TokenDomain) {
        self.id = id
        self.name = name
        self.domain = domain
    }
}

/// `token.roles[]`.
public struct TokenRole: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// Keystone's timestamp format (`2026-11-22T06:27:00.000000Z`), parsed and printed.
public enum KeystoneTime {
    /// Formats a date in UTC with microseconds.
    public static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
            Int(micros - seconds * 1_000_000))
    }

    /// Parses Keystone's forms: with or without fractional seconds, `Z` or an offset.
    public static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let d = try? withFraction.parse(text) { return d }
        if let d = try? Date.ISO8601FormatStyle().parse(text) { return d }
        // Microsecond fractions are more than ISO8601FormatStyle takes on some platforms: cut to millis.
        if let dot = text.firstIndex(of: "."),
           let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." })
        {
            let fraction = text[text.index(after: dot)..<end]
            let millis = String(fraction.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0)
            let trimmed = String(text[..<dot]) + "." + millis + String(text[end...])
            if let d = try? withFraction.parse(trimmed) { return d }
        }
        // No zone at all: Keystone means UTC.
        if !text.hasSuffix("Z"), !text.contains("+") { return parse(text + "Z") }
        return nil
    }
}
