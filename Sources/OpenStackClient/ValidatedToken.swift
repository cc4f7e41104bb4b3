import Foundation
import OpenStackModels

/// A user token Keystone confirmed, reduced to what the gateway acts on.
public struct ValidatedToken: Sendable, Hashable {
    public var tokenID: String
    public var userID: String
    public var userName: String
    public var userDomainID: String
    /// Nil for unscoped and domain-scoped tokens.
    public var projectID: String?
    public var projectName: String?
    public var projectDomainID: String?
    /// Set for domain-scoped tokens.
    public var domainID: String?
    /// Role names.
    public var roles: [String]
    public var expiresAt: Date
    public var issuedAt: Date?
    public var auditIDs: [String]
    /// Present only when validated with the catalog.
    public var catalog: [CatalogEntry]?

    public init(
        tokenID: String, userID: String, userName: String, userDomainID: String, projectID: String?,
        projectName: String?, projectDomainID: String? = nil, domainID: String? = nil, roles: [String],
        expiresAt: Date, issuedAt: Date? = nil, auditIDs: [String] = [], catalog: [CatalogEntry]? = nil
    ) {
        self.tokenID = tokenID
        self.userID = userID
        self.userName = userName
        self.userDomainID = userDomainID
        self.projectID = projectID
        self.projectName = projectName
        self.projectDomainID = projectDomainID
        self.domainID = domainID
        self.roles = roles
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.auditIDs = auditIDs
        self.catalog = catalog
    }

    /// Reads a token body; nil when its expiry cannot be parsed.
    public init?(tokenID: String, token: Token) {
        guard let expiresAt = KeystoneTime.parse(token.expiresAt) else { return nil }
        self.init(
            tokenID: tokenID, userID: token.user.id, userName: token.user.name, userDomainID: token.user.domain.id,
            projectID: token.project?.id, projectName: token.project?.name, projectDomainID: token.project?.domain.id,
            domainID: token.domain?.id, roles: token.roles?.map(\.name) ?? [], expiresAt: expiresAt,
            issuedAt: KeystoneTime.parse(token.issuedAt), auditIDs: token.auditIDs, catalog: token.catalog)
    }

    /// True when the token carries the admin role.
    public var isAdmin: Bool { roles.contains("admin") }
}
