import Foundation

/// Everything the simulated Keystone knows; lives behind the `SimulatedIdentity` mutex.
struct IdentityState: Sendable {
    struct DomainRecord: Sendable { var id, name, description: String; var enabled: Bool }
    struct ProjectRecord: Sendable {
        var id, name, description, domainID: String
        var enabled: Bool
    }
    struct UserRecord: Sendable {
        var id, name, domainID, password: String
        var enabled: Bool
        var defaultProjectID: String?
        var email: String?
    }
    struct RoleRecord: Sendable { var id, name: String }
    /// A role on a project (projectID set) or on a domain (domainID set).
    struct AssignmentRecord: Sendable, Equatable {
        var userID, roleID: String
        var projectID: String?
        var domainID: String?
    }
    struct RegionRecord: Sendable { var id, description: String; var parentRegionID: String? }
    struct ServiceRecord: Sendable {
        var id, type, name, description: String
        var enabled: Bool
    }
    struct EndpointRecord: Sendable {
        var id, serviceID, regionID, interface, url: String
        var enabled: Bool
    }

    var domains: [String: DomainRecord] = [:]
    var projects: [String: ProjectRecord] = [:]
    var users: [String: UserRecord] = [:]
    var roles: [String: RoleRecord] = [:]
    var assignments: [AssignmentRecord] = []
    var regions: [String: RegionRecord] = [:]
    /// Region ids in creation order, so listings are stable.
    var regionOrder: [String] = []
    var services: [String: ServiceRecord] = [:]
    var endpoints: [String: EndpointRecord] = [:]
    var tokens: [String: SimulatedToken] = [:]
    /// Issued tokens since the last sweep of expired ones.
    var issuedSinceSweep = 0

    static func newID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    static func seeded(adminPassword: String) -> IdentityState {
        var s = IdentityState()
        s.domains["default"] = DomainRecord(
            id: "default", name: "Default", description: "The default domain", enabled: true)
        var projectIDs: [String: String] = [:]
        for name in ["admin", "service", "demo", "alt_demo"] {
            let id = newID()
            projectIDs[name] = id
            s.projects[id] = ProjectRecord(
                id: id, name: name, description: "Bootstrap project \(name)", domainID: "default", enabled: true)
        }
        var roleIDs: [String: String] = [:]
        for name in ["admin", "member", "reader"] {
            let id = newID()
            roleIDs[name] = id
            s.roles[id] = RoleRecord(id: id, name: name)
        }
        let users: [(String, String, String, String)] = [
            ("admin", adminPassword, "admin", "admin"),
            ("tricircle", "servicepass", "service", "admin"),
            ("demo", "demopass", "demo", "member"),
            ("alt_demo", "altpass", "alt_demo", "member"),
        ]
        for (name, password, project, role) in users {
            let id = newID()
            let projectID = projectIDs[project] ?? ""
            s.users[id] = UserRecord(
                id: id, name: name, domainID: "default", password: password, enabled: true,
                defaultProjectID: projectID, email: nil)
            // Keystone's implied roles: admin implies member implies reader.
            s.assignments.append(AssignmentRecord(userID: id, roleID: roleIDs[role] ?? "", projectID: projectID))
        }
        if let adminUser = s.users.values.first(where: { $0.name == "admin" }), let adminRole = roleIDs["admin"] {
            s.assignments.append(AssignmentRecord(userID: adminUser.id, roleID: adminRole, domainID: "default"))
        }
        return s
    }

    mutating func addRegion(id: String, description: String, parentRegionID: String?) {
        guard regions[id] == nil else { return }
        regions[id] = RegionRecord(id: id, description: description, parentRegionID: parentRegionID)
        regionOrder.append(id)
    }

    /// Returns the id of the service of that type and name, creating it when missing.
    mutating func ensureService(type: String, name: String) -> String {
        // One service per type, as a deployment registers them (DevStack, e2e/regions/ks_gateway.py): a second
        // region's endpoints join the service already there. Horizon reads only the first catalog entry of a
        // type, so a separate entry per name would hide every region but the first one's.
        let ofType = services.values.filter { $0.type == type }.sorted { $0.id < $1.id }
        if let existing = ofType.first(where: { $0.name == name }) ?? ofType.first {
            return existing.id
        }
        let record = ServiceRecord(id: Self.newID(), type: type, name: name, description: "", enabled: true)
        services[record.id] = record
        return record.id
    }

    func user(named name: String, domainID: String) -> UserRecord? {
        users.values.first { $0.name == name && $0.domainID == domainID }
    }

    func project(named name: String, domainID: String) -> ProjectRecord? {
        projects.values.first { $0.name == name && $0.domainID == domainID }
    }

    func domain(named name: String) -> DomainRecord? {
        domains.values.first { $0.name == name }
    }

    /// Role names of a user on a project or domain, with Keystone's default implied roles expanded
    /// (admin implies member, member implies reader).
    func effectiveRoles(userID: String, projectID: String?, domainID: String?) -> [RoleRecord] {
        var names = Set<String>()
        var result: [RoleRecord] = []
        func add(_ role: RoleRecord) {
            if names.insert(role.name).inserted { result.append(role) }
        }
        for a in assignments where a.userID == userID && a.projectID == projectID && a.domainID == domainID {
            guard let role = roles[a.roleID] else { continue }
            add(role)
            let implied: [String] =
                switch role.name {
                case "admin": ["member", "reader"]
                case "member": ["reader"]
                default: []
                }
            for name in implied {
                if let r = roles.values.first(where: { $0.name == name }) { add(r) }
            }
        }
        return result
    }

    /// Projects on which the user has at least one role.
    func projectsOf(userID: String) -> [ProjectRecord] {
        let ids = Set(assignments.filter { $0.userID == userID }.compactMap(\.projectID))
        return ids.compactMap { projects[$0] }.sorted { $0.name < $1.name }
    }

    mutating func store(_ token: SimulatedToken, now: Date) {
        tokens[token.id] = token
        issuedSinceSweep += 1
        // Expired tokens are dropped now and then so long benchmark runs do not grow without bound.
        if issuedSinceSweep >= 1024 {
            issuedSinceSweep = 0
            tokens = tokens.filter { $0.value.expiresAt > now }
        }
    }
}
