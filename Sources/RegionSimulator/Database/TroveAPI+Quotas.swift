import Foundation
import Hummingbird
import OpenStackModels

/// Trove's own quota in one region (`trove/quota`, `trove/extensions/mgmt/quota`): admins set a project's
/// limits with `PUT /mgmt/quotas/{project}` (what the gateway's pod sync does), `GET` shows usage, and
/// creates over a limit are Trove's 413 `overLimit`. Unlike Trove (10 instances, 40 GiB, 50 backups by
/// default) a project without limits set is unlimited here, so tests and benchmarks are not bound by it.
/// `GET /mgmt/instances` lists every project's instances (admins), as the reconcile job reads them.
extension TroveAPI {
    /// Trove's quota resources (`trove/quota/quota.py`).
    static let quotaResources = ["instances", "ram", "backups", "volumes"]

    func registerQuotas(on router: Router<BasicRequestContext>, prefix p: String) {
        let path = RouterPath(p + "/mgmt/quotas/:tenant")
        router.get(path) { request, context in
            await handle(request, context) { caller, id in
                let tenant = context.parameters.get("tenant") ?? ""
                guard tenant == caller.projectID || caller.isAdmin else {
                    throw TroveError.forbidden("Operation not allowed for tenant \(caller.projectID).")
                }
                let limits = store.quotas.withLock { $0[tenant] ?? [:] }
                let usage = try withState { $0.quotaUsage(project: tenant) }
                let rows: [JSONValue] = Self.quotaResources.map {
                    ["resource": .string($0), "in_use": .int(usage[$0] ?? 0), "reserved": 0, "limit": .int(limits[$0] ?? -1)]
                }
                return json(["quotas": .array(rows)], requestID: id)
            }
        }
        router.put(path) { request, context in
            await handle(request, context) { caller, id in
                guard caller.isAdmin else { throw TroveError.forbidden() }
                let tenant = context.parameters.get("tenant") ?? ""
                let body = try await decode(request, JSONValue.self, key: "quotas")
                var set: [String: Int] = [:]
                for (resource, value) in body["quotas"]?.objectValue ?? [:] where value != .null {
                    guard let limit = value.intValue else { throw TroveError.badRequest("Invalid quota limit for '\(resource)'.") }
                    guard limit >= -1 else {
                        throw TroveError.badRequest("Quota limit '\(limit)' for '\(resource)' is too small - must be at least '-1'.")
                    }
                    guard Self.quotaResources.contains(resource) else {
                        throw TroveFault(name: "itemNotFound", message: "Unknown quota resources ['\(resource)'].", code: 404)
                    }
                    set[resource] = limit
                }
                store.quotas.withLock { $0[tenant, default: [:]].merge(set) { _, new in new } }
                return json(["quotas": .object(set.mapValues { .int($0) })], requestID: id)
            }
        }
        // Trove's `GET /limits`: the ABSOLUTE entry from the project's limits (unset: -1, unlimited, as enforced
        // here); the simulator has no rate limits, so none of Trove's rate entries follow it.
        router.get(RouterPath(p + "/limits")) { request, context in
            await handle(request, context) { caller, id in
                let limits = store.quotas.withLock { $0[caller.projectID] ?? [:] }
                let absolute: [String: JSONValue] = [
                    "verb": "ABSOLUTE", "max_instances": .int(limits["instances"] ?? -1), "max_ram": .int(limits["ram"] ?? -1),
                    "max_backups": .int(limits["backups"] ?? -1), "max_volumes": .int(limits["volumes"] ?? -1),
                ]
                return json(["limits": [.object(absolute)]], requestID: id)
            }
        }
        router.get(RouterPath(p + "/mgmt/instances")) { request, context in
            await handle(request, context) { caller, id in
                guard caller.isAdmin else { throw TroveError.forbidden() }
                let list: [JSONValue] = try withState { state in
                    try state.instances.values.sorted { (state.order[$0.id] ?? 0) < (state.order[$1.id] ?? 0) }.map { record in
                        var shown = try JSONValue(data: JSONEncoder().encode(state.render(record, base: caller.base)))
                        if case .object(var object) = shown {
                            object["tenant_id"] = .string(record.projectID)
                            shown = .object(object)
                        }
                        return shown
                    }
                }
                return json(["instances": .array(list)], requestID: id)
            }
        }
    }

    /// Trove's `check_quotas`: 413 naming every resource `deltas` would take over its limit, sorted.
    func checkQuota(_ state: TroveState, project: String, _ deltas: [String: Int]) throws {
        let limits = store.quotas.withLock { $0[project] ?? [:] }
        guard !limits.isEmpty else { return }
        let usage = state.quotaUsage(project: project)
        let overs = deltas.compactMap { resource, delta -> String? in
            guard delta > 0, let limit = limits[resource], limit >= 0, (usage[resource] ?? 0) + delta > limit else { return nil }
            return resource
        }.sorted()
        guard !overs.isEmpty else { return }
        throw TroveFault(name: "overLimit", message: "Quota exceeded for resources: [\(overs.map { "'\($0)'" }.joined(separator: ", "))].", code: 413)
    }

    /// What one new instance takes of its project's quota.
    static func instanceDeltas(_ state: TroveState, flavorRef: String?, volumeSize: Int?) -> [String: Int] {
        ["instances": 1, "volumes": volumeSize ?? 0, "ram": flavorRef.flatMap { state.flavor($0)?.ram } ?? 0]
    }
}

extension TroveState {
    /// A project's usage as Trove counts it: an instance being deleted already gave its quota back.
    func quotaUsage(project: String) -> [String: Int] {
        var usage = ["instances": 0, "volumes": 0, "ram": 0, "backups": 0]
        for record in instances.values where record.projectID == project {
            if case .deleting = record.phase { continue }
            usage["instances", default: 0] += 1
            usage["volumes", default: 0] += record.volumeSize ?? 0
            usage["ram", default: 0] += flavor(record.flavorID)?.ram ?? 0
        }
        usage["backups"] = backups.values.filter { $0.projectID == project }.count
        return usage
    }
}
