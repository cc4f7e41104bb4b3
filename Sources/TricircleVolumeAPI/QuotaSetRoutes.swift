import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/os-quota-sets/{project}`: Block Storage quotas kept at the top, one per project over all regions (not
/// the regions' own quotas added up); usage is what the top counts (`?usage=true`), creates are checked
/// against them at the top (`VolumeQuota`). Admins update and reset.
struct QuotaSetRoutes: APIRoutes {
    let api: VolumeAPI

    /// Keys a quota set may carry that are no quota (Cinder's NON_QUOTA_KEYS).
    static let nonQuotaKeys: Set<String> = ["tenant_id", "id"]
    /// Prefixes of Cinder's per-volume-type quotas (`volumes_<type>`...; -1 unless set).
    static let perTypePrefixes = ["volumes_", "gigabytes_", "snapshots_"]

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-quota-sets/:project", use: show)
        group.get("os-quota-sets/:project/defaults", use: defaults)
        group.put("os-quota-sets/:project", use: update)
        group.delete("os-quota-sets/:project", use: delete)
    }

    var quota: QuotaService { api.quota }

    /// `GET /os-quota-sets/{project}[?usage=true]`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let project = try call.param("project")
        guard call.caller.isAdmin || project == call.caller.projectID else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:quotas:show to be performed.", format: .fault)
        }
        let usage = ["true", "1", "yes", "on"].contains((request.uri.queryParameters.get("usage") ?? "").lowercased())
        let limits = try await limits(project: project, call: call)
        var set: [String: JSONValue] = ["id": .string(project)]
        if usage {
            let counts = try await quota.counts(.volume, project: project)
            for (key, limit) in limits {
                set[key] = ["limit": .int(limit), "in_use": .int(counts[key]?.inUse ?? 0), "reserved": .int(counts[key]?.reserved ?? 0)]
            }
        } else {
            for (key, limit) in limits { set[key] = .int(limit) }
        }
        return api.json(["quota_set": .object(set)], call: call)
    }

    /// `GET /os-quota-sets/{project}/defaults`.
    func defaults(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let project = try call.param("project")
        var set: [String: JSONValue] = ["id": .string(project)]
        for (key, limit) in quota.defaults(.volume) { set[key] = .int(limit) }
        for type in await typeNames(call) {
            for prefix in Self.perTypePrefixes { set[prefix + type] = -1 }
        }
        return api.json(["quota_set": .object(set)], call: call)
    }

    /// `PUT /os-quota-sets/{project}` (admin): the project's limits over all regions.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:quotas:update to be performed.", format: .fault)
        }
        let project = try call.param("project")
        let set = try api.member(try await api.body(call), "quota_set")
        let known = Set(quota.defaults(.volume).keys)
        let bad = set.keys.filter { key in
            !known.contains(key) && !Self.nonQuotaKeys.contains(key) && !Self.perTypePrefixes.contains { key.hasPrefix($0) && key.count > $0.count }
        }.sorted()
        guard bad.isEmpty else {
            throw VolumeAPI.badRequest("Invalid input received: Bad key(s) in quota set: \(bad.joined(separator: ", "))")
        }
        var changes: [String: Int] = [:]
        for (key, value) in set where !Self.nonQuotaKeys.contains(key) {
            guard let limit = value.intValue ?? value.stringValue.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
                throw VolumeAPI.badRequest("Invalid input received: \(key) must be an integer.")
            }
            guard limit >= -1 else { throw VolumeAPI.badRequest("Invalid input received: \(key) must be >= -1") }
            guard limit <= Int(Int32.max) else { throw VolumeAPI.badRequest("Invalid input received: \(key) must be <= \(Int32.max)") }
            changes[key] = limit
        }
        try await quota.setLimits(.volume, project: project, changes)
        let limits = try await limits(project: project, call: call)
        return api.json(["quota_set": .object(limits.mapValues { .int($0) })], call: call)
    }

    /// `DELETE /os-quota-sets/{project}` (admin): back to the defaults.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:quotas:delete to be performed.", format: .fault)
        }
        try await quota.resetLimits(.volume, project: try call.param("project"))
        var headers: HTTPFields = [:]
        if let name = HTTPField.Name("OpenStack-API-Version") { headers[name] = "volume \(call.version)" }
        return Response(status: .ok, headers: headers)
    }

    /// The project's limits: the defaults, -1 for each volume type's own quotas, then its overrides.
    func limits(project: String, call: VolumeCall) async throws -> [String: Int] {
        var limits = quota.defaults(.volume)
        for type in await typeNames(call) {
            for prefix in Self.perTypePrefixes { limits[prefix + type] = -1 }
        }
        return limits.merging(try await quota.overrides(.volume, project: project)) { _, override in override }
    }

    /// Volume type names as the first bottom pod lists them (none when it does not answer: the per-type
    /// quotas then show only where set).
    func typeNames(_ call: VolumeCall) async -> [String] {
        guard let pod = try? await api.pods.bottomPods().first,
              let entries = try? await api.types.entries(in: pod, call: call)
        else { return [] }
        return entries.map(\.name)
    }
}
