import Foundation
import Hummingbird
import Synchronization
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `/v2.0/quotas`: Neutron's quotas and quota_details extensions at the top (admin-only writes).
struct QuotaRoutes: APIRoutes {
    let service: NetworkService

    static func forbiddenForOtherProject() -> NeutronError {
        NeutronError(status: 403, type: "AdminRequired",
                     message: "User does not have admin privileges: Only admin is authorized to access quotas for another tenant.")
    }

    /// Admins see any project's quota, others their own.
    static func authorize(_ project: String, _ caller: NeutronCaller) throws {
        guard caller.isAdmin || project == caller.projectID else { throw forbiddenForOtherProject() }
    }

    static func render(_ limits: [String: Int]) -> JSONValue { .object(limits.mapValues { .int($0) }) }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("quotas", use: list)
        group.get("quotas/:project", use: show)
        group.get("quotas/:project/default", use: showDefault)
        group.get("quotas/:project/details", use: showDetails)
        group.put("quotas/:project", use: update)
        group.delete("quotas/:project", use: delete)
    }

    /// `GET /v2.0/quotas`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:get_quota") }
        var list: [JSONValue] = []
        for project in try await service.quota.projectsWithOverrides(.network) {
            var entry = try await service.quotaLimits(project: project).mapValues { JSONValue.int($0) }
            entry["project_id"] = .string(project)
            entry["tenant_id"] = .string(project)
            list.append(.object(entry))
        }
        return NeutronHTTP.json(["quotas": .array(list)])
    }

    /// `GET /v2.0/quotas/:project`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let project = try context.parameters.require("project")
        // `GET /v2.0/quotas/tenant` (and `/project`) names the caller's own project, as Neutron answers it.
        if project == "tenant" { return NeutronHTTP.json(["tenant": ["tenant_id": .string(caller.projectID)]]) }
        if project == "project" { return NeutronHTTP.json(["project": ["project_id": .string(caller.projectID)]]) }
        try Self.authorize(project, caller)
        return NeutronHTTP.json(["quota": Self.render(try await service.quotaLimits(project: project))])
    }

    /// `GET /v2.0/quotas/:project/default`.
    func showDefault(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let project = try context.parameters.require("project")
        try Self.authorize(project, NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.json(["quota": Self.render(service.quota.defaults(.network))])
    }

    /// `GET /v2.0/quotas/:project/details`.
    func showDetails(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let project = try context.parameters.require("project")
        try Self.authorize(project, NeutronCaller(try context.requireCaller()))
        async let limits = service.quotaLimits(project: project)
        let counts = try await service.quotaCounts(project: project)
        var body: [String: JSONValue] = [:]
        for (name, limit) in try await limits {
            body[name] = ["limit": .int(limit), "used": .int(counts[name]?.inUse ?? 0), "reserved": .int(counts[name]?.reserved ?? 0)]
        }
        return NeutronHTTP.json(["quota": .object(body)])
    }

    /// `PUT /v2.0/quotas/:project`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:update_quota") }
        let project = try context.parameters.require("project")
        let member = try await NeutronHTTP.member(request, key: "quota", allowed: NetworkQuota.names.union(["check_limit"]))
        let update = try NeutronQuotaUpdate(member)
        if update.checkLimit {
            let counts = try await service.quotaCounts(project: project)
            if let refusal = update.refusal(usage: { counts[$0]?.inUse ?? 0 }) { throw refusal }
        }
        try await service.quota.setLimits(.network, project: project, update.limits)
        return NeutronHTTP.json(["quota": Self.render(try await service.quotaLimits(project: project))])
    }

    /// `DELETE /v2.0/quotas/:project`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:delete_quota") }
        try await service.quota.resetLimits(.network, project: try context.parameters.require("project"))
        return NeutronHTTP.noContent()
    }

    static func text(_ value: JSONValue) -> String {
        value.stringValue ?? String(decoding: value.encoded(), as: UTF8.self)
    }
}
