import Foundation
import OpenStackModels
import TricircleStore

extension GatewayRuntime {
    /// `GET /v1.0/quotas/{project}` (admin): every quota of a project over all regions: limit, in use and
    /// reserved at the top, and per region what it holds and its own quota's share (what `QuotaPodSync` sets).
    func quotaView(project: String) async throws -> JSONValue {
        let quota = QuotaService(runtime: self)
        let ledger = QuotaLedger(store: store)
        let pods = try await podDirectory.bottomPods()
        let shares = try await QuotaPodSync(runtime: self).shares(project: project)
        var rows: [JSONValue] = []
        for scope in QuotaScope.allCases {
            let limits = try await quota.limits(scope, project: project)
            let counts = try await quota.counts(scope, project: project, countedRows: scope == .network ? Self.networkCountedRows : [:])
            let byPod = try await ledger.usageByPod(service: scope.rawValue, projectID: project)
            for resource in limits.keys.sorted() {
                var regions: [String: JSONValue] = [:]
                var text: [String] = []
                for pod in pods where scope != .network {
                    let used = byPod[pod.podID]?[resource] ?? 0
                    var entry: [String: JSONValue] = ["in_use": .int(used)]
                    var line = "\(pod.regionName) \(used)"
                    if let share = shares[pod.regionName]?[scope]?[resource] {
                        entry["share"] = .int(share)
                        line += "/\(share)"
                    }
                    regions[pod.regionName] = .object(entry)
                    text.append(line)
                }
                rows.append([
                    "service": .string(scope.rawValue), "resource": .string(resource), "limit": .int(limits[resource] ?? -1),
                    "in_use": .int(counts[resource]?.inUse ?? 0), "reserved": .int(counts[resource]?.reserved ?? 0),
                    "regions": .object(regions), "regions_summary": .string(text.joined(separator: ", ")),
                ])
            }
        }
        return ["quota": ["project_id": .string(project), "resources": .array(rows)]]
    }

    /// Networking's usage is its documents at the top (table names as `NetworkTable` has them).
    static let networkCountedRows: [String: String] = [
        "network": NetworkTable.networks.rawValue, "subnet": NetworkTable.subnets.rawValue, "port": NetworkTable.ports.rawValue,
        "router": NetworkTable.routers.rawValue, "floatingip": NetworkTable.floatingIPs.rawValue,
        "security_group": NetworkTable.securityGroups.rawValue, "security_group_rule": NetworkTable.securityGroupRules.rawValue,
    ]
}
