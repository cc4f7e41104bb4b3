import Foundation
import Hummingbird
import Logging
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `/os-quota-sets`: Compute quotas kept at the top, one per project over all regions (show, defaults,
/// detail with usage and reservations; admins update and reset). Boots are checked against them at the
/// top (`ServerQuota`).
struct QuotaSetRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    /// Nova's default quotas (nova.conf [quota]).
    static let quotaDefaults: [String: Int] = [
        "instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "injected_files": 5,
        "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255, "key_pairs": 100,
        "server_groups": 10, "server_group_members": 10, "fixed_ips": -1, "floating_ips": 10,
        "security_groups": 10, "security_group_rules": 20,
    ]
    static let networkQuotaKeys: Set<String> = ["fixed_ips", "floating_ips", "security_groups", "security_group_rules"]
    static let personalityQuotaKeys: Set<String> = ["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"]

    /// The quota resources a microversion shows (network ones went at 2.36, personality ones at 2.57).
    static func quotaKeys(_ call: CatalogCall) -> [String] {
        quotaDefaults.keys.filter { key in
            !(call.atLeast(2, 36) && networkQuotaKeys.contains(key)) && !(call.atLeast(2, 57) && personalityQuotaKeys.contains(key))
        }.sorted()
    }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-quota-sets/:project", use: show)
        group.get("os-quota-sets/:project/detail", use: showDetail)
        group.get("os-quota-sets/:project/defaults", use: defaults)
        group.put("os-quota-sets/:project", use: update)
        group.delete("os-quota-sets/:project", use: delete)
    }

    /// `GET /v2.1/os-quota-sets/:project`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await showQuotas(call, project: catalog.pathParameter(context, "project"), detail: false)
        }
    }

    /// `GET /v2.1/os-quota-sets/:project/detail`.
    func showDetail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await showQuotas(call, project: catalog.pathParameter(context, "project"), detail: true)
        }
    }

    /// `GET /v2.1/os-quota-sets/:project/defaults`.
    func defaults(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            let project = try catalog.pathParameter(context, "project")
            var o: [String: JSONValue] = ["id": .string(project)]
            let defaults = Self.quotaDefaults.merging(catalog.quota.defaults(.compute)) { _, configured in configured }
            for key in Self.quotaKeys(call) { o[key] = .number(Double(defaults[key] ?? -1)) }
            return call.json(["quota_set": .object(o)])
        }
    }

    /// `PUT /v2.1/os-quota-sets/:project`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await updateQuotas(call, project: catalog.pathParameter(context, "project"))
        }
    }

    /// `DELETE /v2.1/os-quota-sets/:project`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try call.requireAdmin("os_compute_api:os-quota-sets:delete")
            try await catalog.quota.resetLimits(.compute, project: catalog.pathParameter(context, "project"))
            return call.empty(.accepted)
        }
    }



    func showQuotas(_ call: CatalogCall, project: String, detail: Bool) async throws -> Response {
        guard call.caller.isAdmin || project == call.caller.projectID else {
            throw APIError(.forbidden, "Policy doesn't allow os_compute_api:os-quota-sets:\(detail ? "detail" : "show") to be performed.", format: .fault)
        }
        let limits = try await catalog.quotaLimits(project: project)
        let usage = detail ? try await catalog.quotaCounts(project: project, userID: call.caller.userID) : [:]
        var o: [String: JSONValue] = ["id": .string(project)]
        for key in Self.quotaKeys(call) {
            let limit = JSONValue.number(Double(limits[key] ?? -1))
            o[key] = detail
                ? ["limit": limit, "in_use": .number(Double(usage[key]?.inUse ?? 0)), "reserved": .number(Double(usage[key]?.reserved ?? 0))]
                : limit
        }
        return call.json(["quota_set": .object(o)])
    }

    func updateQuotas(_ call: CatalogCall, project: String) async throws -> Response {
        try call.requireAdmin("os_compute_api:os-quota-sets:update")
        let body = try await call.body()
        guard let r = body["quota_set"]?.objectValue else {
            throw invalidInput("quota_set", body["quota_set"], "'quota_set' is a required property")
        }
        let keys = Set(Self.quotaKeys(call))
        var changes: [String: Int] = [:]
        for (key, raw) in r.sorted(by: { $0.key < $1.key }) where key != "force" {
            guard keys.contains(key) else {
                throw APIError(.badRequest, "Invalid input for field/attribute quota_set. Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
            }
            let value = catalogInteger(raw) ?? (raw.stringValue == "-1" ? -1 : nil)
            guard let value, value >= -1, value <= Int(Int32.max) else {
                throw invalidInput(key, raw, "must be an integer of at least -1")
            }
            changes[key] = value
        }
        if let force = r["force"], catalogBoolean(force) == nil {
            throw invalidInput("force", force, "\(force) is not of type 'boolean', 'string'")
        }
        try await catalog.quota.setLimits(.compute, project: project, changes)
        let limits = try await catalog.quotaLimits(project: project)
        var o: [String: JSONValue] = [:]
        for key in keys { o[key] = .number(Double(limits[key] ?? -1)) }
        return call.json(["quota_set": .object(o)])
    }
}

extension ComputeCatalogRoutes {
    /// Nova's defaults, the configured `[quota]` ones over them, then the project's overrides.
    func quotaLimits(project: String) async throws -> [String: Int] {
        return QuotaSetRoutes.quotaDefaults.merging(quota.defaults(.compute)) { _, configured in configured }
            .merging(try await quota.overrides(.compute, project: project)) { _, override in override }
    }

    /// What a project uses, counted at the top: instances, cores and RAM from the quota ledger (what the
    /// servers the top routes to hold, kept true by the reconcile job), key pairs of the user.
    func quotaUsage(project: String, userID: String, call: CatalogCall) async throws -> [String: Int] {
        try await quotaCounts(project: project, userID: userID).mapValues(\.inUse)
    }

    /// In use and reserved (creates under way) per resource.
    func quotaCounts(project: String, userID: String) async throws -> [String: QuotaCount] {
        async let keypairCount = keypairs.count(userID: userID)
        var counts = try await quota.counts(.compute, project: project)
        counts["key_pairs"] = QuotaCount(inUse: try await keypairCount)
        return counts
    }
}
