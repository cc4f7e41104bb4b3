import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// Trove's quota surfaces, answered from the top's one quota over all regions: `GET /limits` (absolute
/// limits; the top has no rate limits) and `/mgmt/quotas/{project}` (show: the caller's own project, any
/// for admins; update: admins), in Trove's shapes (`LimitViews`, `QuotaUsageView`, `QuotaView`).
struct QuotaRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("limits", use: limits)
        group.get("mgmt/quotas/:project", use: show)
        group.put("mgmt/quotas/:project", use: update)
    }

    var quota: QuotaService { QuotaService(runtime: api.runtime) }

    /// `GET /limits`: `{"limits": [{"verb": "ABSOLUTE", "max_instances": 10, ...}]}`.
    func limits(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let limits = try await quota.limits(.database, project: call.urlProject)
        var absolute: [String: JSONValue] = ["verb": "ABSOLUTE"]
        for (resource, limit) in limits { absolute["max_\(resource)"] = .int(limit) }
        return api.json(["limits": [.object(absolute)]])
    }

    /// `GET /mgmt/quotas/{project}`: limit, in use and reserved over all regions per resource.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let project = try call.param("project")
        // Trove: a project may read its own quota, admins any project's.
        guard project == call.caller.projectID || call.caller.isAdmin else {
            throw APIError(.forbidden, "Operation not allowed for tenant \(call.caller.projectID).", format: .trove)
        }
        let limits = try await quota.limits(.database, project: project)
        let counts = try await quota.counts(.database, project: project)
        let rows: [JSONValue] = limits.keys.sorted().map { resource in
            [
                "resource": .string(resource), "in_use": .int(counts[resource]?.inUse ?? 0),
                "reserved": .int(counts[resource]?.reserved ?? 0), "limit": .int(limits[resource] ?? -1),
            ]
        }
        return api.json(["quotas": .array(rows)])
    }

    /// `PUT /mgmt/quotas/{project}` (admins): `{"quotas": {"instances": 5}}` sets those limits.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        guard call.caller.isAdmin else { throw APIError(.forbidden, "User does not have admin privileges.", format: .trove) }
        let project = try call.param("project")
        let (_, quotas) = try api.member(try await api.body(call), "quotas")
        let known = Set(QuotaScope.database.resourceNames)
        var changes: [String: Int] = [:]
        for (resource, value) in quotas.sorted(by: { $0.key < $1.key }) {
            if value == .null || resource == "xmlns" { continue }
            guard known.contains(resource) else {
                throw APIError(.notFound, "Unknown quota resources ['\(resource)'].", format: .trove)
            }
            guard let limit = value.intValue else { throw DatabaseAPI.badRequest("Invalid quota limit for '\(resource)': \(value).") }
            guard limit >= -1 else {
                throw DatabaseAPI.badRequest("Quota limit '\(limit)' for '\(resource)' is too small - must be at least '-1'.")
            }
            changes[resource] = limit
        }
        if !changes.isEmpty { try await quota.setLimits(.database, project: project, changes) }
        return api.json(["quotas": .object(changes.mapValues { .int($0) })])
    }
}
