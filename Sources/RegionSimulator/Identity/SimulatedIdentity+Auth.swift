import Foundation

/// A parsed `POST /v3/auth/tokens` request.
struct AuthRequestPlan: Sendable {
    enum Identity: Sendable {
        case password(userID: String?, userName: String?, userDomainID: String?, userDomainName: String?,
                      password: String)
        case token(String)
    }
    enum Scope: Sendable {
        /// Explicit `"scope": "unscoped"`.
        case unscoped
        /// No scope given: the user's default project when it has a role there, else unscoped.
        case implicit
        case project(id: String?, name: String?, domainID: String?, domainName: String?)
        case domain(id: String?, name: String?)
    }
    var identity: Identity
    var scope: Scope
}

/// Why authentication failed, in Keystone's terms.
enum AuthFailure: Error, Sendable {
    /// 401 "The request you have made requires authentication."
    case unauthorized(String)
    /// 400 bad request body
    case badRequest(String)
    /// 404 e.g. unknown project in scope
    case notFound(String)
}

extension SimulatedIdentity {
    /// Authenticates and stores a new token.
    func authenticate(_ plan: AuthRequestPlan) -> Result<SimulatedToken, AuthFailure> {
        // Fernet tokens carry whole seconds, so Keystone's timestamps end in .000000Z.
        let now = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let lifetime = Double(tokenLifetime.components.seconds)
            + Double(tokenLifetime.components.attoseconds) / 1e18
        return state.withLock { state -> Result<SimulatedToken, AuthFailure> in
            var user: IdentityState.UserRecord
            var methods: [String]
            var expiresAt = now.addingTimeInterval(lifetime)
            var auditIDs = [SimulatedToken.randomAuditID()]
            switch plan.identity {
            case .password(let userID, let userName, let userDomainID, let userDomainName, let password):
                var found: IdentityState.UserRecord?
                if let userID {
                    found = state.users[userID]
                } else if let userName {
                    var domainID = userDomainID
                    if domainID == nil, let userDomainName {
                        domainID = state.domain(named: userDomainName)?.id
                    }
                    guard let domainID else {
                        return .failure(.badRequest("Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."))
                    }
                    found = state.user(named: userName, domainID: domainID)
                } else {
                    return .failure(.badRequest("Expecting to find id or name in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."))
                }
                guard let found, found.enabled, found.password == password else {
                    return .failure(.unauthorized("The request you have made requires authentication."))
                }
                user = found
                methods = ["password"]
            case .token(let id):
                guard let existing = state.tokens[id], existing.expiresAt > now,
                    let found = state.users[existing.userID]
                else {
                    return .failure(.unauthorized("The request you have made requires authentication."))
                }
                user = found
                methods = existing.methods.contains("token") ? existing.methods : existing.methods + ["token"]
                // A rescoped token never outlives the one it came from.
                expiresAt = existing.expiresAt
                auditIDs = [SimulatedToken.randomAuditID(), existing.auditIDs.first ?? ""]
            }

            var projectID = ""
            var projectName = ""
            var domainID: String?
            var roles: [String] = []
            var scope = plan.scope
            if case .implicit = scope {
                scope = .unscoped
                if let defaultProject = user.defaultProjectID,
                    !state.effectiveRoles(userID: user.id, projectID: defaultProject, domainID: nil).isEmpty
                {
                    scope = .project(id: defaultProject, name: nil, domainID: nil, domainName: nil)
                }
            }
            switch scope {
            case .unscoped, .implicit:
                break
            case .project(let id, let name, let scopeDomainID, let scopeDomainName):
                var project: IdentityState.ProjectRecord?
                if let id {
                    project = state.projects[id]
                } else if let name {
                    var d = scopeDomainID
                    if d == nil, let scopeDomainName { d = state.domain(named: scopeDomainName)?.id }
                    guard let d else {
                        return .failure(.badRequest("Expecting to find domain in project. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."))
                    }
                    project = state.project(named: name, domainID: d)
                } else {
                    return .failure(.badRequest("Expecting to find id or name in project."))
                }
                guard let project else {
                    return .failure(.unauthorized("The request you have made requires authentication."))
                }
                let r = state.effectiveRoles(userID: user.id, projectID: project.id, domainID: nil)
                guard !r.isEmpty, project.enabled else {
                    return .failure(.unauthorized("The request you have made requires authentication."))
                }
                projectID = project.id
                projectName = project.name
                roles = r.map(\.name)
            case .domain(let id, let name):
                let domain = id.flatMap { state.domains[$0] } ?? name.flatMap { state.domain(named: $0) }
                guard let domain else {
                    return .failure(.unauthorized("The request you have made requires authentication."))
                }
                let r = state.effectiveRoles(userID: user.id, projectID: nil, domainID: domain.id)
                guard !r.isEmpty else {
                    return .failure(.unauthorized("The request you have made requires authentication."))
                }
                domainID = domain.id
                roles = r.map(\.name)
            }
            let token = SimulatedToken(
                id: Self.newTokenID(), userID: user.id, userName: user.name, projectID: projectID,
                projectName: projectName, roles: roles, expiresAt: expiresAt, issuedAt: now, domainID: domainID,
                methods: methods, auditIDs: auditIDs)
            state.store(token, now: now)
            return .success(token)
        }
    }

    /// Fernet-looking opaque token ids.
    static func newTokenID() -> String {
        var bytes = [UInt8](repeating: 0, count: 96)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return "gAAAAA"
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
