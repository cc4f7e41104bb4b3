import Foundation
import Hummingbird
import Synchronization
import OpenStackModels
import TricircleGateway
import TricircleStore

/// Neutron's quota resources at the top: one quota per project over all regions, counted from the top's
/// own documents (the pods' copies are not counted again).
enum NetworkQuota {
    /// A quota resource: its name, Neutron's default limit, the collection a create posts to, and the
    /// top's table its usage is counted in.
    struct Resource: Sendable {
        var name: String
        var defaultLimit: Int
        var collection: String
        var pluralKey: String
        var table: NetworkTable
    }

    static let resources: [Resource] = [
        Resource(name: "network", defaultLimit: 100, collection: "networks", pluralKey: "networks", table: .networks),
        Resource(name: "subnet", defaultLimit: 100, collection: "subnets", pluralKey: "subnets", table: .subnets),
        Resource(name: "port", defaultLimit: 500, collection: "ports", pluralKey: "ports", table: .ports),
        Resource(name: "router", defaultLimit: 10, collection: "routers", pluralKey: "routers", table: .routers),
        Resource(name: "floatingip", defaultLimit: 50, collection: "floatingips", pluralKey: "floatingips", table: .floatingIPs),
        Resource(name: "security_group", defaultLimit: 10, collection: "security-groups", pluralKey: "security_groups",
                 table: .securityGroups),
        Resource(name: "security_group_rule", defaultLimit: 100, collection: "security-group-rules", pluralKey: "security_group_rules",
                 table: .securityGroupRules),
    ]

    static let names: Set<String> = Set(resources.map(\.name))
    static var defaults: [String: Int] { Dictionary(uniqueKeysWithValues: resources.map { ($0.name, $0.defaultLimit) }) }

    /// The resource a create path ("/v2.0/routers", with or without a trailing slash) makes, if any.
    static func resource(creating path: String) -> Resource? {
        var path = path
        while path.hasSuffix("/") { path.removeLast() }
        guard path.hasPrefix("/v2.0/") else { return nil }
        let collection = path.dropFirst("/v2.0/".count)
        return resources.first { $0.collection == collection }
    }

    static func overQuota(_ resource: String) -> NeutronError {
        NeutronError(status: 409, type: "OverQuota", message: "Quota exceeded for resources: ['\(resource)'].")
    }
}

extension NetworkService {
    var quotas: NetworkQuotaStore { NetworkQuotaStore(store: runtime.store) }

    /// A project's limits: the defaults with its overrides applied.
    func quotaLimits(project: String) async throws -> [String: Int] {
        try await quotas.overrides(projectID: project).reduce(into: NetworkQuota.defaults) { limits, override in
            if NetworkQuota.names.contains(override.key) { limits[override.key] = override.value }
        }
    }

    /// How many of a resource a project holds at the top.
    func quotaUsage(_ resource: NetworkQuota.Resource, project: String) async throws -> Int {
        try await documents.count(resource.table, projectID: project)
    }

    /// Refuses (409 OverQuota) a create of `adding` more of `resource` that would exceed the project's limit.
    func checkQuota(_ resource: NetworkQuota.Resource, project: String, adding: Int) async throws {
        let limit = try await quotaLimits(project: project)[resource.name] ?? resource.defaultLimit
        guard limit >= 0 else { return }
        if try await quotaUsage(resource, project: project) + adding > limit { throw NetworkQuota.overQuota(resource.name) }
    }
}

/// Creates under way in this process, per project and resource, so that concurrent creates cannot
/// together pass a limit: each create registers itself before it counts, and counts what is stored plus
/// what is registered. Of any two racing creates the later registered sees the other (as a registration,
/// or as a stored row once it has committed), so no limit is exceeded from one gateway process; a create
/// that committed but has not yet unregistered is counted twice for that moment, which can refuse a racing
/// create near the limit (never admit one too many).
final class QuotaReservations: Sendable {
    private let inFlight = Mutex<[String: Int]>([:])

    /// Registers `count` for `key`; returns everything registered for it now, this one included.
    func register(_ key: String, count: Int) -> Int {
        inFlight.withLock { map in
            map[key, default: 0] += count
            return map[key] ?? count
        }
    }

    func unregister(_ key: String, count: Int) {
        inFlight.withLock { map in
            let left = (map[key] ?? 0) - count
            map[key] = left > 0 ? left : nil
        }
    }
}

/// Checks the project's quota before a create (`POST /v2.0/<collection>`, single or bulk) reaches its
/// route, as Neutron's API layer does; resources made internally (DHCP and gateway reservations, the
/// default security group, ports a boot makes) are not checked, only counted. Exact within one gateway
/// process (see `QuotaReservations`); several gateway processes creating for one project at once can
/// overshoot by what the others have under way.
struct QuotaEnforcementMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let service: NetworkService
    let reservations = QuotaReservations()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let resource = NetworkQuota.resource(creating: request.uri.path) else {
            return try await next(request, context)
        }
        let caller = NeutronCaller(try context.requireCaller())
        // A body that does not parse is the route's to refuse, with its own wording.
        let buffer = try await request.bufferedBody(format: .neutron)
        guard let object = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)))?.objectValue
        else { return try await next(request, context) }
        let members: [[String: JSONValue]]
        if let list = object[resource.pluralKey]?.arrayValue {
            members = list.compactMap(\.objectValue)
        } else if let single = object[resource.name]?.objectValue {
            members = [single]
        } else {
            members = []
        }
        var perProject: [String: Int] = [:]
        for member in members {
            let project = member["project_id"]?.stringValue ?? member["tenant_id"]?.stringValue ?? caller.projectID
            perProject[project, default: 0] += 1
        }
        var registered: [(String, Int)] = []
        defer { for (key, count) in registered { reservations.unregister(key, count: count) } }
        for (project, count) in perProject.sorted(by: { $0.key < $1.key }) {
            let key = project + "\u{0}" + resource.name
            // Registered before counting: a racing create that counts after us sees us.
            let underWay = reservations.register(key, count: count)
            registered.append((key, count))
            try await service.checkQuota(resource, project: project, adding: underWay)
        }
        return try await next(request, context)
    }
}
