import Foundation
import OpenStackClient

/// Who is calling, as Keystone vouched for it: the request's token and its user, project and roles.
public struct AuthenticatedCaller: Sendable, Hashable {
    /// The caller's own token, forwarded to the pods.
    public var token: String
    public var userID: String
    public var userName: String
    public var userDomainID: String
    public var projectID: String
    public var projectName: String
    public var projectDomainID: String
    /// Role names on the project.
    public var roles: [String]
    public var expiresAt: Date

    public init(
        token: String, userID: String, userName: String, userDomainID: String = "default", projectID: String,
        projectName: String, projectDomainID: String = "default", roles: [String], expiresAt: Date
    ) {
        self.token = token
        self.userID = userID
        self.userName = userName
        self.userDomainID = userDomainID
        self.projectID = projectID
        self.projectName = projectName
        self.projectDomainID = projectDomainID
        self.roles = roles
        self.expiresAt = expiresAt
    }

    /// From a validated token; nil when it is not scoped to a project.
    public init?(_ token: ValidatedToken) {
        guard let projectID = token.projectID else { return nil }
        self.init(
            token: token.tokenID, userID: token.userID, userName: token.userName, userDomainID: token.userDomainID,
            projectID: projectID, projectName: token.projectName ?? "", projectDomainID: token.projectDomainID ?? "default",
            roles: token.roles, expiresAt: token.expiresAt)
    }

    /// True when the caller holds the admin role.
    public var isAdmin: Bool { roles.contains("admin") }

    /// True when the caller holds `role`.
    public func hasRole(_ role: String) -> Bool { roles.contains(role) }

    /// What a call to a pod carries: this caller's token and project, and the gateway's request id.
    public func credentials(requestID: String? = nil) -> ServiceCredentials {
        ServiceCredentials(token: token, projectID: projectID, requestID: requestID)
    }
}
