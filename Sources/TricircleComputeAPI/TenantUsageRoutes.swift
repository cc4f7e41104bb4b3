import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-simple-tenant-usage`: a project's usage is what its servers used in every pod, so the
/// pods' totals are summed per project and their `server_usages` put together. The index is for
/// admins; a project may read its own (`show`), as Nova's policy says.
struct TenantUsageRoutes: APIRoutes {
    let admin: ComputeAdminCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-simple-tenant-usage", use: index)
        group.get("os-simple-tenant-usage/:tenant", use: show)
    }

    /// The pods' entries merged by project, in the order projects first appear.
    static func merge(_ entries: [JSONValue]) -> [JSONValue] {
        var order: [String] = []
        var merged: [String: (totals: TenantUsageTotals, first: JSONValue, servers: [JSONValue]?)] = [:]
        for entry in entries {
            guard let totals = try? entry.decode(TenantUsageTotals.self) else { continue }
            let servers = entry["server_usages"]?.arrayValue
            if var known = merged[totals.tenantID] {
                known.totals.add(totals)
                if let servers { known.servers = (known.servers ?? []) + servers }
                merged[totals.tenantID] = known
            } else {
                order.append(totals.tenantID)
                merged[totals.tenantID] = (totals, entry, servers)
            }
        }
        return order.compactMap { id in
            guard let item = merged[id], case .object(var o) = item.first else { return nil }
            if case .object(let totals)? = try? JSONValue(encoding: item.totals) { o.merge(totals) { _, new in new } }
            if let servers = item.servers { o["server_usages"] = .array(servers) }
            return .object(o)
        }
    }

    func index(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-simple-tenant-usage:list")
        // Paging (2.40) is by the pods' instances; the top answers the whole merged period at once.
        let query = ComputeAdminCalls.query(request, dropping: ["limit", "marker"])
        let answers = try await admin.askEvery(call, "/os-simple-tenant-usage\(query)")
        let entries = answers.flatMap { $0.body?["tenant_usages"]?.arrayValue ?? [] }
        return admin.json(["tenant_usages": .array(Self.merge(entries))], call)
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: nil)
        let tenant = try context.parameters.require("tenant")
        guard call.caller.isAdmin || tenant == call.caller.projectID else {
            throw ComputeAdminCalls.forbidden("os_compute_api:os-simple-tenant-usage:show")
        }
        let query = ComputeAdminCalls.query(request, dropping: ["limit", "marker"])
        let answers = try await admin.askEvery(call, "/os-simple-tenant-usage/\(tenant)\(query)")
        let entries = answers.compactMap { answer -> JSONValue? in
            guard let usage = answer.body?["tenant_usage"], usage.objectValue?.isEmpty == false else { return nil }
            return usage
        }
        return admin.json(["tenant_usage": Self.merge(entries).first ?? [:]], call)
    }
}
