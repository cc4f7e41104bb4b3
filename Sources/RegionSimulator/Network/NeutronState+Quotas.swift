import Foundation
import OpenStackModels

extension NeutronState {
    /// Neutron's quota resources. The simulator defaults to unlimited (-1) so scale runs are not capped;
    /// limits set through the quotas API are enforced as Neutron does (409 OverQuota).
    static let quotaResources = [
        "network", "subnet", "port", "router", "floatingip", "security_group", "security_group_rule",
    ]

    func quotaLimits(_ project: String) -> [String: Int] {
        var limits = Dictionary(uniqueKeysWithValues: Self.quotaResources.map { ($0, -1) })
        for (resource, value) in quotas[project] ?? [:] { limits[resource] = value }
        return limits
    }

    func usage(_ resource: String, _ project: String) -> Int {
        switch resource {
        case "network": networks.values.count { $0.projectID == project }
        case "subnet": subnets.values.count { $0.projectID == project }
        case "port": ports.values.count { $0.projectID == project }
        case "router": routers.values.count { $0.projectID == project }
        case "floatingip": floatingIPs.values.count { $0.projectID == project }
        case "security_group": securityGroups.values.count { $0.projectID == project }
        case "security_group_rule": rules.values.count { $0.projectID == project }
        default: 0
        }
    }

    /// Refuses a create that would exceed a limit set for the project (counting only when one is set).
    func checkQuota(_ resource: String, _ project: String) throws {
        guard let limit = quotas[project]?[resource], limit >= 0 else { return }
        if usage(resource, project) >= limit {
            throw NeutronError(status: 409, type: "OverQuota", message: "Quota exceeded for resources: ['\(resource)'].")
        }
    }
}
