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

    /// Paging (2.40) as Nova pages: a page asked with a marker holds the instances after it. The top answers
    /// the whole period on the first page, so a later page is what follows the marker in that answer: empty
    /// for a client that pages on from the last instance (Horizon and novaclient page until a page has no
    /// instances; answering everything again had them loop for ever). Totals are those of the page's
    /// instances, as Nova's; nil when the marker is none of the instances (Nova's 400).
    static func page(after marker: String, _ entries: [JSONValue]) -> [JSONValue]? {
        var found = !entries.contains { $0["server_usages"] != nil }
        var page: [JSONValue] = []
        for entry in entries {
            guard case .object(var usage) = entry else { continue }
            var kept: [JSONValue] = []
            for server in usage["server_usages"]?.arrayValue ?? [] {
                if found { kept.append(server) } else if server["instance_id"]?.stringValue == marker { found = true }
            }
            guard !kept.isEmpty else { continue }
            func total(_ field: String?) -> JSONValue {
                .number(kept.reduce(0) { sum, server in
                    sum + (server["hours"]?.doubleValue ?? 0) * (field.flatMap { server[$0]?.doubleValue } ?? 1)
                })
            }
            usage["server_usages"] = .array(kept)
            usage["total_hours"] = total(nil)
            usage["total_vcpus_usage"] = total("vcpus")
            usage["total_memory_mb_usage"] = total("memory_mb")
            usage["total_local_gb_usage"] = total("local_gb")
            page.append(.object(usage))
        }
        return found ? page : nil
    }

    /// The merged entries, or the page after the request's marker.
    static func paged(_ request: Request, _ entries: [JSONValue]) throws -> [JSONValue] {
        let merged = merge(entries)
        guard let marker = request.uri.queryParameters.get("marker") else { return merged }
        guard let page = page(after: marker, merged) else { throw Nova.badRequest("Marker \(marker) could not be found.") }
        return page
    }

    func index(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-simple-tenant-usage:list")
        // Paging (2.40) is by the pods' instances; the top answers the whole merged period at once (see page(after:)).
        let query = ComputeAdminCalls.query(request, dropping: ["limit", "marker"])
        let answers = try await admin.askEvery(call, "/os-simple-tenant-usage\(query)")
        let entries = answers.flatMap { $0.body?["tenant_usages"]?.arrayValue ?? [] }
        return admin.json(["tenant_usages": .array(try Self.paged(request, entries))], call)
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
        return admin.json(["tenant_usage": try Self.paged(request, entries).first ?? [:]], call)
    }
}
