import Foundation
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// Security groups in the pods: each top group's copy (made once, bare, under the routing create-lock) and
/// its rules kept equal to the top's, remote groups translated to the pod's copies.
struct SecurityGroupSync: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron

    /// The top group's copy in the pod (created bare under the lock; its rules converge right after, so
    /// groups naming each other as remote groups never wait on each other's locks).
    func ensureSecurityGroup(_ group: SecurityGroup, in pod: Pod, context: PodCallContext) async throws -> String {
        let fresh = Mutex(false)
        let bottomID = try await routing.ensure(
            topID: group.id, type: .securityGroup, podID: pod.podID, projectID: group.projectID,
            findExisting: { try await pods.find("security-groups", name: group.id, in: pod) },
            create: {
                let answer = try await pods.call("POST", "/security-groups", body: ["security_group": [
                    "name": .string(group.id), "description": .string(group.description), "project_id": .string(group.projectID),
                ]], in: pod, requestID: context.requestID)
                guard let id = answer["security_group"]?["id"]?.stringValue else {
                    throw PodNeutronError(region: pod.regionName, status: nil, message: "security group create answered no id")
                }
                fresh.withLock { $0 = true }
                return id
            })
        if fresh.withLock({ $0 }) { try await syncRules(of: group.id, bottomID: bottomID, in: pod, context: context) }
        return bottomID
    }

    /// Makes the pod's copy of a group hold exactly the top's rules (remote groups translated to the pod's copies).
    func syncRules(of groupID: String, bottomID: String, in pod: Pod, context: PodCallContext) async throws {
        let topRules = try await service.rules(of: groupID)
        var wanted: [JSONValue] = []
        for rule in topRules {
            var body: [String: JSONValue] = [
                "security_group_id": .string(bottomID), "direction": .string(rule.direction), "ethertype": .string(rule.ethertype),
                "description": .string(rule.description),
            ]
            if let v = rule.protocol { body["protocol"] = .string(v) }
            if let v = rule.portRangeMin { body["port_range_min"] = .int(v) }
            if let v = rule.portRangeMax { body["port_range_max"] = .int(v) }
            if let v = rule.remoteIPPrefix { body["remote_ip_prefix"] = .string(v) }
            if let remote = rule.remoteGroupID {
                if remote == groupID {
                    body["remote_group_id"] = .string(bottomID)
                } else {
                    let (other, _) = try await service.securityGroup(remote, NeutronCaller(projectID: "", isAdmin: true))
                    body["remote_group_id"] = .string(try await ensureSecurityGroup(other, in: pod, context: context))
                }
            }
            wanted.append(.object(body))
        }
        let existing = try await pods.call("GET", "/security-group-rules?security_group_id=\(bottomID)", in: pod)["security_group_rules"]?.arrayValue ?? []
        let keys = ["direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id"]
        func key(_ rule: JSONValue) -> [JSONValue] { keys.map { rule[$0] ?? .null } }
        let wantedKeys = Set(wanted.map(key))
        let existingKeys = Set(existing.map(key))
        enum Change: Sendable { case remove(String), add(JSONValue) }
        let changes = existing.filter { !wantedKeys.contains(key($0)) }.compactMap { $0["id"]?.stringValue }.map(Change.remove)
            + wanted.filter { !existingKeys.contains(key($0)) }.map(Change.add)
        try await Fanout.each(changes) { change in
            switch change {
            case .remove(let id):
                try await pods.delete("security-group-rules", id: id, in: pod)
            case .add(let rule):
                do {
                    try await pods.call("POST", "/security-group-rules", body: ["security_group_rule": rule], in: pod, requestID: context.requestID)
                } catch let error as PodNeutronError where error.status == 409 {
                    return
                }
            }
        }
    }

    /// Top groups for the boot's names or ids; "default" is the project's default group, made on first use.
    func resolveGroupNames(_ names: [String], _ caller: NeutronCaller) async throws -> [SecurityGroup] {
        var out: [SecurityGroup] = []
        for name in names {
            if name == "default" {
                out.append(try await service.defaultGroup(project: caller.projectID))
                continue
            }
            if let doc = try await service.documents.get(.securityGroups, id: name), caller.owns(doc.projectID) {
                out.append(try service.model(SecurityGroup.self, doc))
                continue
            }
            let named = try await service.documents.list(.securityGroups, NetworkDocumentQuery(projectIDs: [caller.projectID], names: [name]))
            guard named.count == 1, let doc = named.first else {
                throw NeutronError(status: 400, type: "SecurityGroupNotFound",
                                   message: named.isEmpty ? "Security group \(name) not found for project \(caller.projectID)."
                                       : "Multiple security groups named \(name); use an id.")
            }
            out.append(try service.model(SecurityGroup.self, doc))
        }
        return out
    }
}
