import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/clusters`: one top cluster over one pod cluster per region (`ClusterParts`). Create builds every
/// region's part (all or nothing), grow adds members to their region's part or a new part in a new
/// region, shrink removes members wherever they are (a part left empty is deleted), delete removes
/// every part.
struct ClusterRoutes: APIRoutes {
    let api: DatabaseAPI
    var parts: ClusterParts { ClusterParts(api: api) }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("clusters", use: list)
        group.post("clusters", use: create)
        group.get("clusters/:id", use: show)
        group.post("clusters/:id", use: action)
        group.delete("clusters/:id", use: delete)
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        return try parts.answer(parts.render(id, parts: try await parts.parts(id, call: call), call: call))
    }

    /// `GET /clusters`: the project's top clusters, each shown from its parts, merged and paged like every
    /// Trove list (`ClusterListSource`).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        return try await TroveListing(api: api).page(
            call, collection: "clusters", kind: "database_clusters", order: ClusterListSource.order,
            markerNotFound: { DatabaseAPI.fault(TroveError.clusterNotFound($0)) }
        ) { _ in ClusterListSource(api: api, call: call) }
    }

    /// `POST /clusters`: every region's part checked, then built; when one region refuses, the parts
    /// already built are deleted and its answer is the client's.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let (whole, cluster) = try api.member(try await api.body(call), "cluster")
        guard let type = InstanceCreateRoutes.text(cluster["datastore"]?["type"]) else {
            throw DatabaseAPI.badRequest("Validation error: cluster['datastore'] is a required property")
        }
        guard let specs = cluster["instances"]?.arrayValue, !specs.isEmpty else {
            throw DatabaseAPI.badRequest("Validation error: cluster['instances'] is a required property")
        }
        let datastore = DatastoreRef(type: type, version: InstanceCreateRoutes.text(cluster["datastore"]?["version"]))
        let named = ClusterParts.named(specs, cluster: InstanceCreateRoutes.text(cluster["name"]), taken: [])
        let grouped = try await parts.group(named, fallback: nil)
        let groups = try await parts.checked(grouped, datastore: datastore, call: call)
        // One quota over all regions: every member reserved at once before any region is asked.
        let quota = DatabaseQuota(api: api)
        let claim = quota.claim()
        let amounts = try await quota.reserveMembers(grouped, projectID: call.caller.projectID, claim: claim)
        return try await claim.settling {
            try await build(whole: whole, cluster: cluster, groups: groups, amounts: amounts, claim: claim, call: call)
        }
    }

    /// Builds every region's part of a checked, reserved cluster; the members made hold their share.
    func build(
        whole: [String: JSONValue], cluster: [String: JSONValue], groups: [(pod: Pod, specs: [[String: JSONValue]])],
        amounts: [[[String: Int]]], claim: QuotaClaim, call: DatabaseCall
    ) async throws -> Response {
        let topID = UUID().uuidString.lowercased()
        var built: [ClusterParts.Part] = []
        for group in groups {
            var body = whole
            var part = cluster
            part["instances"] = .array(group.specs.map { .object($0) })
            body["cluster"] = .object(part)
            let response: RegionalResponse
            do {
                response = try await api.send(call, .rawJSON("POST", "/clusters", body: DatabaseAPI.encode(.object(body))), to: group.pod)
            } catch {
                // This part may exist all the same: the reservation counts until it expires.
                claim.leaveToExpire()
                await undo(built, call: call)
                throw error
            }
            guard response.isSuccess, let made = parts.decodeCluster(response, call: call) else {
                await undo(built, call: call)
                return api.relay(response, call)
            }
            built.append(ClusterParts.Part(pod: group.pod, bottomID: made.id, cluster: made))
        }
        do {
            for part in built { if let made = part.cluster { try await parts.record(topID: topID, part: made, in: part.pod, call: call) } }
        } catch {
            api.logger.error("recording a created cluster failed; removing its parts", metadata: ["cluster": "\(topID)", "error": "\(error)"])
            await undo(built, call: call)
            try? await api.routing.routings.deleteAll(topID: topID, resourceType: .databaseCluster)
            throw APIError(.serviceUnavailable, "The cluster could not be recorded at the top and was removed; try again.", format: .trove)
        }
        // `built` holds one part per group, in the groups' order.
        for (index, part) in built.enumerated() {
            let made = parts.matched(part.cluster?.instances ?? [], to: groups[index].specs, in: part.pod)
            DatabaseQuota.made(made, holding: amounts[index], in: part.pod, claim: claim, call: call)
        }
        return try parts.answer(parts.render(topID, parts: built, call: call))
    }

    /// `POST /clusters/{id}`: `grow` or `shrink` across the parts.
    func action(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        guard let body = (try? JSONValue(data: Data(buffer: try await api.body(call))))?.objectValue else {
            throw DatabaseAPI.badRequest("The server could not comply with the request since it is either malformed or otherwise incorrect.")
        }
        let current = try await parts.parts(id, call: call)
        if let grow = body["grow"]?.arrayValue {
            return try await ClusterResize(api: api, parts: parts).grow(id, grow, current: current, call: call)
        }
        if let shrink = body["shrink"]?.arrayValue {
            return try await ClusterResize(api: api, parts: parts).shrink(id, shrink, current: current, call: call)
        }
        throw DatabaseAPI.badRequest("No action specified.")
    }

    /// `DELETE /clusters/{id}`: every part deleted in its pod at once; the top forgets each part once its
    /// pod no longer shows it.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let current = try await parts.parts(id, call: call)
        let answers = try await Fanout.all(current) { part in
            try await api.send(call, .delete("/clusters/\(part.bottomID)"), to: part.pod)
        }
        if let refused = answers.first(where: { !$0.isSuccess && $0.status != 404 }) { return api.relay(refused, call) }
        // Trove frees the members' quota when it accepts the delete, so does the top.
        await DatabaseQuota(api: api).forget(instances: current.flatMap { $0.cluster?.instances.map(\.id) ?? [] })
        return Response(status: .accepted)
    }

    /// Deletes parts a failed create or grow built, so no pod keeps a cluster the top does not know.
    func undo(_ built: [ClusterParts.Part], call: DatabaseCall) async {
        for part in built { await api.removeOrphan(call, path: "/clusters/\(part.bottomID)", in: part.pod) }
    }
}
