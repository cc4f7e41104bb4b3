import Foundation
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// A boot's `scheduler_hints.group`, which names a top group: `affinity` keeps every member in the pod of
/// the first (a boot asking another AZ is refused as Nova's scheduler would find no host), and every
/// policy is then enforced inside the pod by a pod group made for the top's on first use, whose id the
/// boot sent to the pod names instead. The servers the pod made join the top group.
struct ServerGroupPlacement: Sendable {
    let calls: ComputePodCalls
    let group: StoredServerGroup
    /// The pod the group's members are in, when its policy keeps them together and it has any.
    let affinityPod: Pod?

    static let hintKeys = ["os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"]

    /// The placement a boot body asks for (nil: no group hint); 400 in Nova's words for a malformed or
    /// unknown group.
    static func of(_ body: [String: JSONValue], caller: AuthenticatedCaller, calls: ComputePodCalls) async throws -> ServerGroupPlacement? {
        guard let hint = hintKeys.lazy.compactMap({ body[$0]?["group"] }).first else { return nil }
        guard let id = hint.stringValue ?? hint.arrayValue?.first?.stringValue, UUID(uuidString: id) != nil else {
            throw Nova.badRequest("Invalid input for field/attribute group. Value: \(ServerGroupRoutes.text(hint)). \(ServerGroupRoutes.text(hint)) is not a 'uuid'")
        }
        let store = calls.serverGroups
        guard let group = try await store.get(id: id), caller.isAdmin || group.projectID == caller.projectID else {
            throw Nova.badRequest("Instance group \(id) could not be found.")
        }
        var affinityPod: Pod?
        let live = try await ServerGroupRoutes(calls: calls).liveMembers(of: [id])[id] ?? []
        let adding = max(1, ServerCreate(object: body["server"]?.objectValue ?? [:]).maxCount ?? 1)
        if let limit = try await ServerGroupRoutes.limit("server_group_members", project: group.projectID, calls: calls), limit >= 0,
           live.count + adding > limit {
            throw APIError(.forbidden, "Quota exceeded, too many servers in group", format: .fault)
        }
        if group.policy == "affinity" {
            let member = try await store.members(groupIDs: [id]).first { live.contains($0.serverID) }
            if let member { affinityPod = try await calls.pods.pod(id: member.podID) }
        }
        return ServerGroupPlacement(calls: calls, group: group, affinityPod: affinityPod)
    }

    /// Refuses a boot of an affinity group's member into another pod than the group's.
    func check(_ pod: Pod) throws {
        guard let affinityPod, affinityPod.podID != pod.podID else { return }
        throw Nova.badRequest(
            "No valid host was found. Server group \(group.id) has the affinity policy and its members are in availability zone "
                + "\(affinityPod.azName); a member cannot be booted in availability zone \(pod.azName).")
    }

    /// The boot body for `pod`: its group hint names the pod's group (made there now if needed).
    func bind(_ body: [String: JSONValue], to pod: Pod, credentials: ServiceCredentials) async throws -> [String: JSONValue] {
        let bottomID = try await podGroup(in: pod, credentials: credentials)
        var out = body
        for key in Self.hintKeys {
            guard var hints = out[key]?.objectValue, hints["group"] != nil else { continue }
            hints["group"] = .string(bottomID)
            out[key] = .object(hints)
        }
        return out
    }

    /// The servers the pod made join the top group (logged, not thrown: the boot has succeeded).
    func joined(_ serverIDs: [String], pod: Pod) async {
        do {
            try await calls.serverGroups.addMembers(groupID: group.id, serverIDs: serverIDs, podID: pod.podID)
        } catch {
            calls.logger.error("server group membership not recorded", metadata: ["group": "\(group.id)", "servers": "\(serverIDs)", "error": "\(error)"])
        }
    }

    /// The pod's group for the top group, made with the same policy (and rules) when the pod has none.
    func podGroup(in pod: Pod, credentials: ServiceCredentials) async throws -> String {
        let store = calls.serverGroups
        if let existing = try await store.podGroup(groupID: group.id, podID: pod.podID) { return existing }
        // Named after the top group, so the pod's operators can tell what it stands for.
        var request: [String: JSONValue] = ["name": .string(group.id)]
        let version: Microversion
        if let max = group.maxServerPerHost {
            version = Microversion(2, 64)
            request["policy"] = .string(group.policy)
            request["rules"] = ["max_server_per_host": .int(max)]
        } else {
            version = Microversion(2, 15)
            request["policies"] = [.string(group.policy)]
        }
        let answer = try await calls.call(
            "POST", "/os-server-groups", pod: pod, version: version, credentials: credentials,
            body: ByteBuffer(data: JSONValue.object(["server_group": .object(request)]).encoded()))
        guard answer.isSuccess, let made = (try? JSONValue(data: answer.data))?["server_group"]?["id"]?.stringValue else {
            calls.logger.error("pod refused a server group", metadata: ["pod": "\(pod.regionName)", "status": "\(answer.status)"])
            throw APIError(.serviceUnavailable, "Region \(pod.regionName) could not make a server group for group \(group.id); try again.",
                           format: .fault, headers: [.retryAfter: "30"])
        }
        let recorded = try await store.recordPodGroup(groupID: group.id, podID: pod.podID, bottomID: made)
        if recorded != made {
            // Another boot made the pod's group first: ours goes.
            _ = try? await calls.call("DELETE", "/os-server-groups/\(made)", pod: pod, version: version, credentials: credentials)
        }
        return recorded
    }
}
