import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

extension SimulatedIdentity {
    // MARK: Domains

    func listDomains(_ request: Request) throws -> Response {
        _ = try adminCaller(request, action: "identity:list_domains")
        let base = Self.baseURL(request)
        let name = Self.query(request, "name")
        let domains = state.withLock { state in
            state.domains.values.filter { name == nil || $0.name == name }.sorted { $0.name < $1.name }
                .map { Self.domain($0, base: base) }
        }
        return Self.json(DomainList(domains: domains, links: Self.collectionLinks(request, path: "/v3/domains")))
    }

    func showDomain(_ request: Request, id: String) throws -> Response {
        _ = try caller(request)
        guard let record = state.withLock({ $0.domains[id] }) else {
            throw Self.keystoneError(404, "Could not find domain: \(id).", request: request)
        }
        return Self.json(DomainResponse(domain: Self.domain(record, base: Self.baseURL(request))))
    }

    // MARK: Projects

    func listProjects(_ request: Request) throws -> Response {
        _ = try adminCaller(request, action: "identity:list_projects")
        let base = Self.baseURL(request)
        let name = Self.query(request, "name")
        let domainID = Self.query(request, "domain_id")
        let projects = state.withLock { state in
            state.projects.values
                .filter { (name == nil || $0.name == name) && (domainID == nil || $0.domainID == domainID) }
                .sorted { $0.name < $1.name }
                .map { Self.project($0, base: base) }
        }
        return Self.json(ProjectList(projects: projects, links: Self.collectionLinks(request, path: "/v3/projects")))
    }

    /// Admins see any project; others only the one their token is scoped to (403 otherwise, as Keystone).
    func showProject(_ request: Request, id: String) throws -> Response {
        let caller = try caller(request)
        guard caller.isAdmin || caller.projectID == id else {
            throw Self.forbidden(request, action: "identity:get_project")
        }
        guard let record = state.withLock({ $0.projects[id] }) else {
            throw Self.keystoneError(404, "Could not find project: \(id).", request: request)
        }
        return Self.json(ProjectResponse(project: Self.project(record, base: Self.baseURL(request))))
    }

    func createProject(_ request: Request) async throws -> Response {
        _ = try adminCaller(request, action: "identity:create_project")
        let body = try await Self.decodeBody(ProjectCreateRequest.self, request).project
        let domainID = body.domainID ?? "default"
        let outcome: IdentityState.ProjectRecord? = state.withLock { state in
            guard state.project(named: body.name, domainID: domainID) == nil else { return nil }
            let record = IdentityState.ProjectRecord(
                id: IdentityState.newID(), name: body.name, description: body.description ?? "", domainID: domainID,
                enabled: body.enabled ?? true)
            state.projects[record.id] = record
            return record
        }
        guard let outcome else {
            throw Self.keystoneError(
                409, "Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : \(body.name).",
                request: request)
        }
        return Self.json(ProjectResponse(project: Self.project(outcome, base: Self.baseURL(request))), status: .created)
    }

    /// `PUT /v3/projects/{p}/users/{u}/roles/{r}`: 204.
    func assignRole(_ request: Request, projectID: String, userID: String, roleID: String) throws -> Response {
        _ = try adminCaller(request, action: "identity:create_grant")
        let missing: String? = state.withLock { state in
            if state.projects[projectID] == nil { return "project: \(projectID)" }
            if state.users[userID] == nil { return "user: \(userID)" }
            if state.roles[roleID] == nil { return "role: \(roleID)" }
            let assignment = IdentityState.AssignmentRecord(userID: userID, roleID: roleID, projectID: projectID)
            if !state.assignments.contains(assignment) { state.assignments.append(assignment) }
            return nil
        }
        if let missing { throw Self.keystoneError(404, "Could not find \(missing).", request: request) }
        return Response(status: .noContent)
    }

    // MARK: Users

    func listUsers(_ request: Request) throws -> Response {
        _ = try adminCaller(request, action: "identity:list_users")
        let base = Self.baseURL(request)
        let name = Self.query(request, "name")
        let domainID = Self.query(request, "domain_id")
        let users = state.withLock { state in
            state.users.values
                .filter { (name == nil || $0.name == name) && (domainID == nil || $0.domainID == domainID) }
                .sorted { $0.name < $1.name }
                .map { Self.user($0, base: base) }
        }
        return Self.json(UserList(users: users, links: Self.collectionLinks(request, path: "/v3/users")))
    }

    func showUser(_ request: Request, id: String) throws -> Response {
        let caller = try caller(request)
        guard caller.isAdmin || caller.userID == id else { throw Self.forbidden(request, action: "identity:get_user") }
        guard let record = state.withLock({ $0.users[id] }) else {
            throw Self.keystoneError(404, "Could not find user: \(id).", request: request)
        }
        return Self.json(UserResponse(user: Self.user(record, base: Self.baseURL(request))))
    }

    func userProjects(_ request: Request, id: String) throws -> Response {
        let caller = try caller(request)
        guard caller.isAdmin || caller.userID == id else {
            throw Self.forbidden(request, action: "identity:list_user_projects")
        }
        let base = Self.baseURL(request)
        let projects: [Project]? = state.withLock { state in
            guard state.users[id] != nil else { return nil }
            return state.projectsOf(userID: id).map { Self.project($0, base: base) }
        }
        guard let projects else { throw Self.keystoneError(404, "Could not find user: \(id).", request: request) }
        return Self.json(ProjectList(projects: projects, links: Self.collectionLinks(request, path: "/v3/users/\(id)/projects")))
    }

    func createUser(_ request: Request) async throws -> Response {
        _ = try adminCaller(request, action: "identity:create_user")
        let body = try await Self.decodeBody(UserCreateRequest.self, request).user
        let domainID = body.domainID ?? "default"
        let outcome: IdentityState.UserRecord? = state.withLock { state in
            guard state.user(named: body.name, domainID: domainID) == nil else { return nil }
            let record = IdentityState.UserRecord(
                id: IdentityState.newID(), name: body.name, domainID: domainID, password: body.password ?? "",
                enabled: body.enabled ?? true, defaultProjectID: body.defaultProjectID, email: body.email)
            state.users[record.id] = record
            return record
        }
        guard let outcome else {
            throw Self.keystoneError(409, "Conflict occurred attempting to store user - Duplicate entry found with name \(body.name) at domain ID \(domainID).", request: request)
        }
        return Self.json(UserResponse(user: Self.user(outcome, base: Self.baseURL(request))), status: .created)
    }

    // MARK: Roles

    func listRoles(_ request: Request) throws -> Response {
        _ = try adminCaller(request, action: "identity:list_roles")
        let base = Self.baseURL(request)
        let name = Self.query(request, "name")
        let roles = state.withLock { state in
            state.roles.values.filter { name == nil || $0.name == name }.sorted { $0.name < $1.name }
                .map { Self.role($0, base: base) }
        }
        return Self.json(RoleList(roles: roles, links: Self.collectionLinks(request, path: "/v3/roles")))
    }

    func showRole(_ request: Request, id: String) throws -> Response {
        _ = try adminCaller(request, action: "identity:get_role")
        guard let record = state.withLock({ $0.roles[id] }) else {
            throw Self.keystoneError(404, "Could not find role: \(id).", request: request)
        }
        return Self.json(RoleResponse(role: Self.role(record, base: Self.baseURL(request))))
    }

    func createRole(_ request: Request) async throws -> Response {
        _ = try adminCaller(request, action: "identity:create_role")
        let body = try await Self.decodeBody(RoleCreateRequest.self, request).role
        let outcome: IdentityState.RoleRecord? = state.withLock { state in
            guard !state.roles.values.contains(where: { $0.name == body.name }) else { return nil }
            let record = IdentityState.RoleRecord(id: IdentityState.newID(), name: body.name)
            state.roles[record.id] = record
            return record
        }
        guard let outcome else {
            throw Self.keystoneError(409, "Conflict occurred attempting to store role - Duplicate entry found with name \(body.name).", request: request)
        }
        return Self.json(RoleResponse(role: Self.role(outcome, base: Self.baseURL(request))), status: .created)
    }

    /// `GET /v3/role_assignments` with `user.id`, `scope.project.id`, `role.id` filters and `include_names`.
    func listRoleAssignments(_ request: Request) throws -> Response {
        let caller = try caller(request)
        let userFilter = Self.query(request, "user.id")
        // Keystone lets a user list their own assignments; everything else needs admin.
        guard caller.isAdmin || (userFilter != nil && userFilter == caller.userID) else {
            throw Self.forbidden(request, action: "identity:list_role_assignments")
        }
        let projectFilter = Self.query(request, "scope.project.id")
        let roleFilter = Self.query(request, "role.id")
        let includeNames = request.uri.queryParameters.has("include_names")
        let base = Self.baseURL(request)
        let list = state.withLock { state in
            state.assignments
                .filter {
                    (userFilter == nil || $0.userID == userFilter) && (projectFilter == nil || $0.projectID == projectFilter)
                        && (roleFilter == nil || $0.roleID == roleFilter)
                }
                .map { a -> RoleAssignment in
                    let role = RoleAssignment.Ref(id: a.roleID, name: includeNames ? state.roles[a.roleID]?.name : nil)
                    let user = RoleAssignment.Ref(id: a.userID, name: includeNames ? state.users[a.userID]?.name : nil)
                    var scope = RoleAssignment.Scope()
                    var link = ""
                    if let p = a.projectID {
                        scope.project = RoleAssignment.Ref(id: p, name: includeNames ? state.projects[p]?.name : nil)
                        link = "\(base)/v3/projects/\(p)/users/\(a.userID)/roles/\(a.roleID)"
                    } else if let d = a.domainID {
                        scope.domain = RoleAssignment.Ref(id: d, name: includeNames ? state.domains[d]?.name : nil)
                        link = "\(base)/v3/domains/\(d)/users/\(a.userID)/roles/\(a.roleID)"
                    }
                    return RoleAssignment(role: role, user: user, scope: scope, links: .init(assignment: link))
                }
        }
        return Self.json(RoleAssignmentList(roleAssignments: list, links: Self.collectionLinks(request, path: "/v3/role_assignments")))
    }

    // MARK: Rendering

    static func project(_ p: IdentityState.ProjectRecord, base: String) -> Project {
        Project(id: p.id, name: p.name, description: p.description, domainID: p.domainID, enabled: p.enabled,
                parentID: p.domainID, links: EntityLinks(selfLink: "\(base)/v3/projects/\(p.id)"))
    }

    static func domain(_ d: IdentityState.DomainRecord, base: String) -> Domain {
        Domain(id: d.id, name: d.name, description: d.description, enabled: d.enabled,
               links: EntityLinks(selfLink: "\(base)/v3/domains/\(d.id)"))
    }

    static func user(_ u: IdentityState.UserRecord, base: String) -> User {
        User(id: u.id, name: u.name, domainID: u.domainID, enabled: u.enabled, defaultProjectID: u.defaultProjectID,
             email: u.email, links: EntityLinks(selfLink: "\(base)/v3/users/\(u.id)"))
    }

    static func role(_ r: IdentityState.RoleRecord, base: String) -> Role {
        Role(id: r.id, name: r.name, links: EntityLinks(selfLink: "\(base)/v3/roles/\(r.id)"))
    }
}
