import Foundation
import Hummingbird
import Synchronization
import OpenStackModels
import TricircleGateway
import TricircleStore

/// Neutron's quota resources at the top: one quota per project over all regions, counted from the top's
/// own documents (the pods' copies are not counted again), kept and checked by the gateway's shared quota
/// service (`QuotaService`: `[quota]` defaults, `neutron_quotas` overrides, reservations in the state
/// database), as Compute's and Block Storage's are.
enum NetworkQuota {
    /// A quota resource the top enforces: its name, the collection a create posts to, and the top's table
    /// its usage is counted in.
    struct Resource: Sendable {
        var name: String
        var collection: String
        var pluralKey: String
        var table: NetworkTable
    }

    static let resources: [Resource] = [
        Resource(name: "network", collection: "networks", pluralKey: "networks", table: .networks),
        Resource(name: "subnet", collection: "subnets", pluralKey: "subnets", table: .subnets),
        Resource(name: "port", collection: "ports", pluralKey: "ports", table: .ports),
        Resource(name: "router", collection: "routers", pluralKey: "routers", table: .routers),
        Resource(name: "floatingip", collection: "floatingips", pluralKey: "floatingips", table: .floatingIPs),
        Resource(name: "security_group", collection: "security-groups", pluralKey: "security_groups", table: .securityGroups),
        Resource(name: "security_group_rule", collection: "security-group-rules", pluralKey: "security_group_rules",
                 table: .securityGroupRules),
    ]

    /// Every quota Neutron lists (rbac_policy and subnetpool too: set and shown, not used at the top).
    static var names: Set<String> { Set(QuotaScope.network.resourceNames) }

    /// Resource -> the top table its usage is counted in.
    static let countedRows: [String: String] = Dictionary(uniqueKeysWithValues: resources.map { ($0.name, $0.table.rawValue) })

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
    var quota: QuotaService { services.quota }

    /// A project's limits: the defaults with its overrides applied.
    func quotaLimits(project: String) async throws -> [String: Int] {
        try await quota.limits(.network, project: project).filter { NetworkQuota.names.contains($0.key) }
    }

    /// What a project holds at the top, and what creates under way have reserved, per resource.
    func quotaCounts(project: String) async throws -> [String: QuotaCount] {
        try await quota.counts(.network, project: project, countedRows: NetworkQuota.countedRows)
    }
}

/// Checks the project's quota before a create (`POST /v2.0/<collection>`, single or bulk) reaches its
/// route, as Neutron's API layer does; resources made internally (DHCP and gateway reservations, the
/// default security group, ports a boot makes) are not checked, only counted. The check reserves what the
/// create adds in the state database, in the same transaction, under the project's quota lock: exact over
/// any number of gateway processes. The reservation is dropped once the route answered (the documents it
/// stored are counted from then on; for that moment a create is counted twice, which can only refuse a
/// racing create near the limit, never admit one too many).
struct QuotaEnforcementMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let service: NetworkService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let resource = NetworkQuota.resource(creating: request.uri.path) else {
            return try await next(request, context)
        }
        let caller = NeutronCaller(try context.requireCaller())
        // A body that does not parse is the route's to refuse, with its own wording.
        let buffer = try await request.bufferedBody(format: .neutron)
        guard let object = (try? buffer.withUnsafeReadableBytes({ try JSONValue(bytes: $0) }))?.objectValue
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
        let quota = service.quota
        var reserved: [String: String] = [:]
        do {
            for (project, count) in perProject.sorted(by: { $0.key < $1.key }) {
                let decision = try await quota.reserve(
                    .network, project: project, perUnit: [resource.name: count], countedRows: [resource.name: resource.table.rawValue])
                guard case .reserved(let id, _) = decision else { throw NetworkQuota.overQuota(resource.name) }
                reserved[project] = id
            }
            // Each top row the create writes takes its unit off the reservation in the same transaction, so no
            // check counts a made resource twice (its row and its reservation) while the request goes on.
            let settled = RowSettledReservations(table: resource.table.rawValue, reservationByProject: reserved)
            let response = try await RowSettledReservations.$current.withValue(settled) { try await next(request, context) }
            for id in reserved.values { await quota.release(id) }
            return response
        } catch {
            for id in reserved.values { await quota.release(id) }
            throw error
        }
    }
}
