import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// Cluster `grow` and `shrink` across a top cluster's parts.
struct ClusterResize: Sendable {
    let api: DatabaseAPI
    let parts: ClusterParts

    /// Grow: each new member goes to its region's part, or to a new part built in a region the cluster
    /// had none in (checked first, as a create); members naming no region go to the first part's region.
    func grow(_ id: String, _ specs: [JSONValue], current: [ClusterParts.Part], call: DatabaseCall) async throws -> Response {
        guard !specs.isEmpty else { throw DatabaseAPI.badRequest("Validation error: grow must list at least one instance") }
        try idle(current)
        guard let home = current.first, let cluster = home.cluster else { throw DatabaseAPI.fault(TroveError.clusterNotFound(id)) }
        let taken = Set(current.flatMap { $0.cluster?.instances.map(\.name) ?? [] })
        let grouped = try await parts.group(ClusterParts.named(specs, cluster: cluster.name, taken: taken), fallback: home.pod)
        let groups = try await parts.checked(grouped, datastore: cluster.datastore, call: call)
        // Every new member reserved at once before any region is asked (all or nothing, as Trove checks them).
        let quota = DatabaseQuota(api: api)
        let claim = quota.claim()
        let amounts = try await quota.reserveMembers(grouped, projectID: call.caller.projectID, claim: claim)
        return try await claim.settling {
            try await grow(id, cluster: cluster, groups: groups, amounts: amounts, current: current, claim: claim, call: call)
        }
    }

    /// Adds the checked, reserved items to their regions' parts; the members made hold their share.
    func grow(
        _ id: String, cluster: DatabaseCluster, groups: [(pod: Pod, specs: [[String: JSONValue]])], amounts: [[[String: Int]]],
        current: [ClusterParts.Part], claim: QuotaClaim, call: DatabaseCall
    ) async throws -> Response {
        var newParts: [ClusterParts.Part] = []
        for (group, held) in zip(groups, amounts) {
            let response: RegionalResponse
            if let part = current.first(where: { $0.pod.podID == group.pod.podID }) {
                let body: JSONValue = ["grow": .array(group.specs.map { .object($0) })]
                response = try await api.send(call, .rawJSON("POST", "/clusters/\(part.bottomID)", body: DatabaseAPI.encode(body)), to: part.pod)
                if response.isSuccess,
                   let shown = try? await api.send(call, .get("/clusters/\(part.bottomID)"), to: part.pod),
                   let grown = parts.decodeCluster(shown, call: call) {
                    try await parts.recordMembers(grown, in: part.pod, call: call)
                    let before = Set(part.cluster?.instances.map(\.id) ?? [])
                    let new = parts.matched(grown.instances.filter { !before.contains($0.id) }, to: group.specs, in: part.pod)
                    DatabaseQuota.made(new, holding: held, in: part.pod, claim: claim, call: call)
                }
            } else {
                var create: [String: JSONValue] = [
                    "name": .string(cluster.name), "instances": .array(group.specs.map { .object($0) }),
                    "datastore": ["type": .string(cluster.datastore.type), "version": cluster.datastore.version.map { .string($0) } ?? .null],
                ]
                if let locality = cluster.locality { create["locality"] = .string(locality) }
                response = try await api.send(call, .rawJSON("POST", "/clusters", body: DatabaseAPI.encode(["cluster": .object(create)])), to: group.pod)
                if response.isSuccess, let made = parts.decodeCluster(response, call: call) {
                    do {
                        try await parts.record(topID: id, part: made, in: group.pod, call: call)
                    } catch {
                        await ClusterRoutes(api: api).undo(newParts + [ClusterParts.Part(pod: group.pod, bottomID: made.id)], call: call)
                        throw APIError(.serviceUnavailable, "The new part in \(group.pod.regionName) could not be recorded and was removed; try again.", format: .trove)
                    }
                    newParts.append(ClusterParts.Part(pod: group.pod, bottomID: made.id, cluster: made))
                    DatabaseQuota.made(parts.matched(made.instances, to: group.specs, in: group.pod), holding: held, in: group.pod, claim: claim, call: call)
                }
            }
            guard response.isSuccess else { return api.relay(response, call) }
        }
        return Response(status: .accepted)
    }

    /// Shrink: the named members removed from whichever part holds them; a part left without members is
    /// deleted; the cluster must keep at least one member.
    func shrink(_ id: String, _ specs: [JSONValue], current: [ClusterParts.Part], call: DatabaseCall) async throws -> Response {
        let ids = specs.compactMap { $0["id"]?.stringValue }
        guard !ids.isEmpty, ids.count == specs.count else { throw DatabaseAPI.badRequest("Validation error: shrink entries need an 'id'") }
        try idle(current)
        let members = current.flatMap { part in (part.cluster?.instances ?? []).map { ($0.id, part.pod.podID) } }
        for member in ids where !members.contains(where: { $0.0 == member }) {
            throw DatabaseAPI.badRequest("Instance \(member) is not a member of cluster \(id).")
        }
        guard Set(ids).count < members.count else { throw DatabaseAPI.badRequest("A cluster cannot be shrunk to zero instances.") }
        for part in current {
            let own = Set((part.cluster?.instances ?? []).map(\.id))
            let removing = ids.filter { own.contains($0) }
            guard !removing.isEmpty else { continue }
            let response: RegionalResponse
            if Set(removing) == own {
                response = try await api.send(call, .delete("/clusters/\(part.bottomID)"), to: part.pod)
            } else {
                let body: JSONValue = ["shrink": .array(removing.map { ["id": .string($0)] })]
                response = try await api.send(call, .rawJSON("POST", "/clusters/\(part.bottomID)", body: DatabaseAPI.encode(body)), to: part.pod)
            }
            guard response.isSuccess else { return api.relay(response, call) }
            // Trove frees a removed member's quota when it accepts the shrink, so does the top.
            await DatabaseQuota(api: api).forget(instances: removing)
        }
        return Response(status: .accepted)
    }

    /// Trove's 422 while a part is busy (nothing is changed anywhere then).
    func idle(_ current: [ClusterParts.Part]) throws {
        if let busy = current.compactMap(\.cluster).first(where: { $0.task.name != DatabaseClusterTask.none.name }) {
            throw DatabaseAPI.fault(TroveError.clusterBusy(task: busy.task.name))
        }
    }
}
