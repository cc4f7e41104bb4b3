import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway

/// `/limits`: the project's absolute limits from the top's quotas, with usage counted at the top
/// (servers from the routing table, key pairs from the top's catalog) and cores/RAM summed from the pods.
struct LimitsRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("limits", use: show)
    }

    /// `GET /v2.1/limits`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await showLimits(call) }
    }

    func showLimits(_ call: CatalogCall) async throws -> Response {
        var project = call.caller.projectID
        if let requested = call.query("tenant_id"), requested != project {
            try call.requireAdmin("os_compute_api:limits:other_project")
            project = requested
        }
        let limits = try await catalog.quotaLimits(project: project)
        let usage = try await catalog.quotaUsage(project: project, userID: call.caller.userID, call: call)
        func q(_ resource: String) -> JSONValue { .number(Double(limits[resource] ?? -1)) }
        var absolute: [String: JSONValue] = [
            "maxImageMeta": q("metadata_items"), "maxServerMeta": q("metadata_items"),
            "maxPersonality": q("injected_files"), "maxPersonalitySize": q("injected_file_content_bytes"),
            "maxTotalCores": q("cores"), "maxTotalInstances": q("instances"), "maxTotalKeypairs": q("key_pairs"),
            "maxTotalRAMSize": q("ram"), "maxServerGroups": q("server_groups"), "maxServerGroupMembers": q("server_group_members"),
            "totalCoresUsed": .number(Double(usage["cores"] ?? 0)), "totalInstancesUsed": .number(Double(usage["instances"] ?? 0)),
            "totalRAMUsed": .number(Double(usage["ram"] ?? 0)), "totalServerGroupsUsed": 0,
        ]
        if !call.atLeast(2, 36) {
            absolute["maxSecurityGroupRules"] = q("security_group_rules")
            absolute["maxSecurityGroups"] = q("security_groups")
            absolute["maxTotalFloatingIps"] = q("floating_ips")
            absolute["totalFloatingIpsUsed"] = 0
            absolute["totalSecurityGroupsUsed"] = 0
        }
        if call.atLeast(2, 57) {
            absolute["maxPersonality"] = nil
            absolute["maxPersonalitySize"] = nil
        }
        return call.json(["limits": ["absolute": .object(absolute), "rate": []]])
    }
}
