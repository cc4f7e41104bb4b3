import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

extension SimulatedIdentity {
    /// `POST /v3/auth/tokens`: 201, `X-Subject-Token`, token body.
    func issueTokenRoute(_ request: Request) async throws -> Response {
        let body = try await Self.decodeBody(AuthTokenRequest.self, request)
        let plan = try Self.plan(from: body.auth, request: request)
        switch authenticate(plan) {
        case .success(let token):
            var headers = HTTPFields()
            headers[.xSubjectToken] = token.id
            let includeCatalog = !request.uri.queryParameters.has("nocatalog")
            return Self.json(tokenResponse(token, includeCatalog: includeCatalog), status: .created, headers: headers)
        case .failure(.unauthorized(let message)):
            throw Self.keystoneError(401, message, request: request)
        case .failure(.badRequest(let message)):
            throw Self.keystoneError(400, message, request: request)
        case .failure(.notFound(let message)):
            throw Self.keystoneError(404, message, request: request)
        }
    }

    /// `GET`/`HEAD /v3/auth/tokens`: validates `X-Subject-Token` for the caller in `X-Auth-Token`.
    func validateTokenRoute(_ request: Request, head: Bool) throws -> Response {
        let caller = try caller(request)
        guard let subjectID = request.headers[.xSubjectToken], !subjectID.isEmpty else {
            throw Self.keystoneError(400, "Missing X-Subject-Token header.", request: request)
        }
        // Keystone's policy: admins and services validate any token, users only their own.
        guard let subject = validate(token: subjectID) else {
            guard caller.isAdmin || caller.roles.contains("service") || subjectID == caller.id else {
                throw Self.forbidden(request, action: "identity:validate_token")
            }
            throw Self.keystoneError(404, "Could not recognize Fernet token", request: request)
        }
        guard caller.isAdmin || caller.roles.contains("service") || subject.userID == caller.userID else {
            throw Self.forbidden(request, action: "identity:validate_token")
        }
        var headers = HTTPFields()
        headers[.xSubjectToken] = subject.id
        if head {
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers)
        }
        let includeCatalog = !request.uri.queryParameters.has("nocatalog")
        return Self.json(tokenResponse(subject, includeCatalog: includeCatalog), headers: headers)
    }

    /// `DELETE /v3/auth/tokens`: 204, the subject token stops validating.
    func revokeTokenRoute(_ request: Request) throws -> Response {
        let caller = try caller(request)
        guard let subjectID = request.headers[.xSubjectToken], !subjectID.isEmpty else {
            throw Self.keystoneError(400, "Missing X-Subject-Token header.", request: request)
        }
        guard let subject = validate(token: subjectID) else {
            throw Self.keystoneError(404, "Could not recognize Fernet token", request: request)
        }
        guard caller.isAdmin || subject.userID == caller.userID else {
            throw Self.forbidden(request, action: "identity:revoke_token")
        }
        revoke(token: subjectID)
        return Response(status: .noContent)
    }

    /// `GET /v3/auth/catalog`: the catalog a scoped token would carry.
    func authCatalogRoute(_ request: Request) throws -> Response {
        let caller = try caller(request)
        guard !caller.projectID.isEmpty || caller.domainID != nil else {
            throw Self.keystoneError(403, "The service catalog is empty.", request: request)
        }
        let catalog = state.withLock { Self.catalog(in: $0, projectID: caller.projectID, userID: caller.userID) }
        return Self.json(CatalogResponse(catalog: catalog, links: Self.collectionLinks(request, path: "/v3/auth/catalog")))
    }

    /// `GET /v3/auth/projects`: projects the caller's user may scope to.
    func authProjectsRoute(_ request: Request) throws -> Response {
        let caller = try caller(request)
        let base = Self.baseURL(request)
        let projects = state.withLock { state in
            state.projectsOf(userID: caller.userID).map { Self.project($0, base: base) }
        }
        return Self.json(ProjectList(projects: projects, links: Self.collectionLinks(request, path: "/v3/auth/projects")))
    }

    /// `GET /v3/auth/domains`: domains the caller has a role on.
    func authDomainsRoute(_ request: Request) throws -> Response {
        let caller = try caller(request)
        let base = Self.baseURL(request)
        let domains = state.withLock { state in
            Set(state.assignments.filter { $0.userID == caller.userID }.compactMap(\.domainID))
                .compactMap { state.domains[$0] }
                .map { Self.domain($0, base: base) }
        }
        return Self.json(DomainList(domains: domains, links: Self.collectionLinks(request, path: "/v3/auth/domains")))
    }

    // MARK: Building

    /// Turns a decoded auth request into a plan, answering Keystone's 400s for what cannot be authenticated.
    static func plan(from auth: AuthTokenRequest.Auth, request: Request) throws -> AuthRequestPlan {
        let methods = auth.identity.methods
        let identity: AuthRequestPlan.Identity
        if methods.contains("password") {
            guard let password = auth.identity.password else {
                throw keystoneError(400, "Invalid input for field 'identity': 'password' is a required property", request: request)
            }
            let user = password.user
            identity = .password(
                userID: user.id, userName: user.name, userDomainID: user.domain?.id, userDomainName: user.domain?.name,
                password: user.password)
        } else if methods.contains("token") {
            guard let token = auth.identity.token else {
                throw keystoneError(400, "Invalid input for field 'identity': 'token' is a required property", request: request)
            }
            identity = .token(token.id)
        } else {
            throw keystoneError(401, "The request you have made requires authentication.", request: request)
        }
        let scope: AuthRequestPlan.Scope
        if let s = auth.scope {
            if s.unscoped {
                scope = .unscoped
            } else if let project = s.project {
                scope = .project(id: project.id, name: project.name, domainID: project.domain?.id, domainName: project.domain?.name)
            } else if let domain = s.domain {
                scope = .domain(id: domain.id, name: domain.name)
            } else {
                scope = .implicit
            }
        } else {
            scope = .implicit
        }
        return AuthRequestPlan(identity: identity, scope: scope)
    }

    /// The wire body for a token.
    func tokenResponse(_ token: SimulatedToken, includeCatalog: Bool) -> TokenResponse {
        state.withLock { state in
            let user = state.users[token.userID]
            let userDomain = state.domains[user?.domainID ?? "default"]
            var body = Token(
                methods: token.methods,
                user: TokenUser(
                    id: token.userID, name: token.userName,
                    domain: TokenDomain(id: userDomain?.id ?? "default", name: userDomain?.name ?? "Default")),
                auditIDs: token.auditIDs,
                expiresAt: KeystoneTime.format(token.expiresAt),
                issuedAt: KeystoneTime.format(token.issuedAt))
            let scoped = !token.projectID.isEmpty || token.domainID != nil
            if !token.projectID.isEmpty {
                let project = state.projects[token.projectID]
                let projectDomain = state.domains[project?.domainID ?? "default"]
                body.project = TokenProject(
                    id: token.projectID, name: token.projectName,
                    domain: TokenDomain(id: projectDomain?.id ?? "default", name: projectDomain?.name ?? "Default"))
                body.isDomain = false
            }
            if let domainID = token.domainID, let domain = state.domains[domainID] {
                body.domain = TokenDomain(id: domain.id, name: domain.name)
            }
            if scoped {
                body.roles = token.roles.map { name in
                    TokenRole(id: state.roles.values.first { $0.name == name }?.id ?? name, name: name)
                }
                if includeCatalog { body.catalog = Self.catalog(in: state, projectID: token.projectID, userID: token.userID) }
            }
            return TokenResponse(token: body)
        }
    }

    /// One entry per service that has endpoints, every region and interface, sorted for stable output.
    /// As Keystone does, `$(project_id)s`-style templates are filled with the token's project and user, and
    /// endpoints whose template cannot be filled are left out.
    static func catalog(in state: IdentityState, projectID: String, userID: String) -> [CatalogEntry] {
        var byService: [String: [CatalogEndpoint]] = [:]
        for endpoint in state.endpoints.values where endpoint.enabled {
            guard let url = fillTemplate(endpoint.url, projectID: projectID, userID: userID) else { continue }
            byService[endpoint.serviceID, default: []].append(
                CatalogEndpoint(id: endpoint.id, interface: endpoint.interface, regionID: endpoint.regionID, url: url))
        }
        return byService.compactMap { serviceID, endpoints -> CatalogEntry? in
            guard let service = state.services[serviceID], service.enabled else { return nil }
            let sorted = endpoints.sorted { ($0.regionID ?? "", $0.interface) < ($1.regionID ?? "", $1.interface) }
            return CatalogEntry(id: service.id, type: service.type, name: service.name, endpoints: sorted)
        }
        .sorted { ($0.type, $0.name ?? "") < ($1.type, $1.name ?? "") }
    }

    static func fillTemplate(_ url: String, projectID: String, userID: String) -> String? {
        guard url.contains("(") else { return url }
        var filled = url
        for (names, value) in [(["project_id", "tenant_id"], projectID), (["user_id"], userID)] {
            for name in names {
                for placeholder in ["$(\(name))s", "%(\(name))s"] where filled.contains(placeholder) {
                    if value.isEmpty { return nil }
                    filled = filled.replacingOccurrences(of: placeholder, with: value)
                }
            }
        }
        return filled
    }
}
