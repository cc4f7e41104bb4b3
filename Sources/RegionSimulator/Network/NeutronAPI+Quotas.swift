import Foundation
import Hummingbird
import OpenStackModels

extension NeutronAPI {
    /// The quotas extension: `/v2.0/quotas[/{project_id}[/details|/default]]`.
    func registerQuotas(on router: Router<BasicRequestContext>) {
        @Sendable func authorize(_ project: String, _ caller: NeutronCaller) throws {
            guard caller.isAdmin || project == caller.projectID else {
                throw NeutronError(status: 403, type: "AdminRequired",
                                   message: "User does not have admin privileges: Only admin is authorized to access quotas for another tenant.")
            }
        }
        @Sendable func object(_ values: [String: Int]) -> JSONValue {
            .object(values.mapValues { .int($0) })
        }
        router.get("/v2.0/quotas") { request, _ in
            await handle(request) { caller, id in
                guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:get_quota") }
                let all = store.state.withLock { state in state.quotas.keys.sorted().map { ($0, state.quotaLimits($0)) } }
                let list: [JSONValue] = all.map { project, limits in
                    var entry = limits.mapValues { JSONValue.int($0) }
                    entry["project_id"] = .string(project)
                    entry["tenant_id"] = .string(project)
                    return .object(entry)
                }
                return NeutronHTTP.json(["quotas": .array(list)], requestID: id)
            }
        }
        router.get("/v2.0/quotas/:project") { request, context in
            await handle(request) { caller, id in
                let project = context.parameters.get("project") ?? ""
                try authorize(project, caller)
                let limits = store.state.withLock { $0.quotaLimits(project) }
                return NeutronHTTP.json(["quota": object(limits)], requestID: id)
            }
        }
        router.get("/v2.0/quotas/:project/default") { request, context in
            await handle(request) { caller, id in
                let project = context.parameters.get("project") ?? ""
                try authorize(project, caller)
                let defaults = Dictionary(uniqueKeysWithValues: NeutronState.quotaResources.map { ($0, -1) })
                return NeutronHTTP.json(["quota": object(defaults)], requestID: id)
            }
        }
        router.get("/v2.0/quotas/:project/details") { request, context in
            await handle(request) { caller, id in
                let project = context.parameters.get("project") ?? ""
                try authorize(project, caller)
                let details = store.state.withLock { state in
                    state.quotaLimits(project).map { resource, limit in (resource, limit, state.usage(resource, project)) }
                }
                var body: [String: JSONValue] = [:]
                for (resource, limit, used) in details {
                    body[resource] = ["limit": .int(limit), "used": .int(used), "reserved": 0]
                }
                return NeutronHTTP.json(["quota": .object(body)], requestID: id)
            }
        }
        router.put("/v2.0/quotas/:project") { request, context in
            await handle(request) { caller, id in
                guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:update_quota") }
                let project = context.parameters.get("project") ?? ""
                let member = try await NeutronHTTP.member(
                    request, key: "quota",
                    allowed: Set(NeutronState.quotaResources).union(["subnetpool", "rbac_policy", "check_limit"]))
                let update = try NeutronQuotaUpdate(member)
                let changes = update.limits
                if let refusal = store.state.withLock({ state in update.refusal(usage: { state.usage($0, project) }) }) {
                    throw refusal
                }
                let limits = store.state.withLock { state in
                    state.quotas[project, default: [:]].merge(changes) { _, new in new }
                    return state.quotaLimits(project)
                }
                return NeutronHTTP.json(["quota": object(limits)], requestID: id)
            }
        }
        router.delete("/v2.0/quotas/:project") { request, context in
            await handle(request) { caller, id in
                guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:delete_quota") }
                let project = context.parameters.get("project") ?? ""
                store.state.withLock { _ = $0.quotas.removeValue(forKey: project) }
                return NeutronHTTP.noContent(requestID: id)
            }
        }
    }
}
