import Foundation
import Hummingbird
import OpenStackModels

/// Which view of a quota set is asked for.
enum QuotaView: Sendable { case current, defaults, detail }

extension ComputeAPI {
    func listZones(detail: Bool) -> @Sendable (ComputeCall) async throws -> Response {
        { call in
            if detail { try requireAdmin(call, "os_compute_api:os-availability-zone:detail") }
            var zones: [JSONValue] = []
            if detail {
                let host = "\(region.regionName.lowercased())-compute-1"
                let stamp = JSONValue.string(SimTime.cinder(call.now))
                zones.append([
                    "zoneName": "internal", "zoneState": ["available": true],
                    "hosts": [
                        "\(region.regionName.lowercased())-controller": [
                            "nova-conductor": ["available": true, "active": true, "updated_at": stamp],
                            "nova-scheduler": ["available": true, "active": true, "updated_at": stamp],
                        ]
                    ],
                ])
                zones.append([
                    "zoneName": .string(region.availabilityZone), "zoneState": ["available": true],
                    "hosts": [.init(stringLiteral: host): ["nova-compute": ["available": true, "active": true, "updated_at": stamp]]],
                ])
            } else {
                zones.append(["zoneName": .string(region.availabilityZone), "zoneState": ["available": true], "hosts": nil])
            }
            return SimHTTP.json(["availabilityZoneInfo": .array(zones)])
        }
    }

    static let quotaKeysBefore236: [String] = [
        "cores", "fixed_ips", "floating_ips", "injected_file_content_bytes", "injected_file_path_bytes",
        "injected_files", "instances", "key_pairs", "metadata_items", "ram", "security_group_rules",
        "security_groups", "server_group_members", "server_groups",
    ]
    static let quotaKeys: [String] = [
        "cores", "injected_file_content_bytes", "injected_file_path_bytes", "injected_files", "instances",
        "key_pairs", "metadata_items", "ram", "server_group_members", "server_groups",
    ]

    func limits(_ call: ComputeCall) async throws -> Response {
        let project = call.isAdmin ? (call.query("tenant_id") ?? call.token.projectID) : call.token.projectID
        let (usage, quotas, groups) = store.compute.withLock { state in
            (state.usage(project: project, now: call.now),
             Dictionary(uniqueKeysWithValues: Self.quotaKeysBefore236.map { ($0, state.quota($0, project: project)) }),
             state.serverGroups.values.filter { $0.projectID == project }.count)
        }
        func q(_ resource: String) -> Int { quotas[resource] ?? -1 }
        var absolute: [String: JSONValue] = [
            "maxImageMeta": 128, "maxPersonality": .int(q("injected_files")),
            "maxPersonalitySize": .int(q("injected_file_content_bytes")), "maxServerMeta": .int(q("metadata_items")),
            "maxTotalCores": .int(q("cores")), "maxTotalInstances": .int(q("instances")),
            "maxTotalKeypairs": .int(q("key_pairs")), "maxTotalRAMSize": .int(q("ram")),
            "maxServerGroups": .int(q("server_groups")), "maxServerGroupMembers": .int(q("server_group_members")),
            "totalCoresUsed": .int(usage.cores), "totalInstancesUsed": .int(usage.instances),
            "totalRAMUsed": .int(usage.ram), "totalServerGroupsUsed": .int(groups),
        ]
        if !call.atLeast(2, 36) {
            absolute["maxSecurityGroupRules"] = 20
            absolute["maxSecurityGroups"] = 10
            absolute["maxTotalFloatingIps"] = 10
            absolute["totalFloatingIpsUsed"] = 0
            absolute["totalSecurityGroupsUsed"] = 0
        }
        // 2.39 dropped the image-metadata proxy and its limit.
        if call.atLeast(2, 39) { absolute["maxImageMeta"] = nil }
        if call.atLeast(2, 57) {
            absolute["maxPersonality"] = nil
            absolute["maxPersonalitySize"] = nil
        }
        return SimHTTP.json(["limits": ["absolute": .object(absolute), "rate": []]])
    }

    func showQuota(kind: QuotaView) -> @Sendable (ComputeCall) async throws -> Response {
        { call in
            let project = try call.param("project")
            guard call.isAdmin || project == call.token.projectID else {
                throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.")
            }
            let keys = call.atLeast(2, 36) ? Self.quotaKeys : Self.quotaKeysBefore236
            let (limits, usage, keypairs) = store.compute.withLock { state in
                (
                    Dictionary(uniqueKeysWithValues: keys.map { key in
                        (key, kind == .defaults ? (state.quotaDefaults[key] ?? -1) : state.quota(key, project: project))
                    }),
                    state.usage(project: project, now: call.now),
                    state.keypairs.values.reduce(0) { $0 + $1.count }
                )
            }
            var o: [String: JSONValue] = ["id": .string(project)]
            for key in keys {
                let limit = limits[key] ?? -1
                guard kind == .detail else {
                    o[key] = .int(limit)
                    continue
                }
                let used: Int = switch key {
                case "cores": usage.cores
                case "instances": usage.instances
                case "ram": usage.ram
                case "key_pairs": keypairs
                default: 0
                }
                o[key] = ["limit": .int(limit), "in_use": .int(used), "reserved": 0]
            }
            return SimHTTP.json(["quota_set": .object(o)])
        }
    }

    func updateQuota(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-quota-sets:update")
        let project = try call.param("project")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "quota_set", format: .fault)
        // Nova checks the project with Keystone before it stores a limit for it (Cinder does not).
        guard region.identity.hasProject(project) else {
            throw SimulatorError.badRequest("Project ID \(project) is not a valid project.")
        }
        let keys = call.atLeast(2, 36) ? Self.quotaKeys : Self.quotaKeysBefore236
        var changes: [String: Int] = [:]
        for (key, value) in r where key != "force" {
            guard keys.contains(key), let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }), number >= -1 else {
                throw SimulatorError.badRequest("Invalid input for field/attribute quota_set. Value: \(JSONValue.object(r)). Additional properties are not allowed ('\(key)' was unexpected)")
            }
            changes[key] = number
        }
        let limits = store.compute.withLock { state in
            state.quotas[project, default: [:]].merge(changes) { _, new in new }
            return Dictionary(uniqueKeysWithValues: keys.map { ($0, state.quota($0, project: project)) })
        }
        return SimHTTP.json(["quota_set": .object(limits.mapValues { .int($0) })])
    }

    func deleteQuota(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-quota-sets:delete")
        let project = try call.param("project")
        store.compute.withLock { $0.quotas[project] = nil }
        return SimHTTP.empty(status: 202)
    }
}
