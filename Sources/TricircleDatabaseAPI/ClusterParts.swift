import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// A cluster at the top is one record over one pod cluster per region its members are in (a "part"):
/// routing rows of type `database_cluster` with the top id, one per pod, each naming the pod's cluster.
/// Each region's Trove builds and runs its own members (Trove 25.1.0 cannot build a member in another
/// region: its multi-region paths crash or build locally); the top shows, grows, shrinks and deletes
/// them as one.
struct ClusterParts: Sendable {
    let api: DatabaseAPI

    /// One part: its pod, the pod's cluster id, and what the pod says of it (nil: it is gone).
    struct Part: Sendable {
        var pod: Pod
        var bottomID: String
        var cluster: DatabaseCluster?
    }

    /// Every part of a top cluster the caller may see, read from their pods at once; 404 when none.
    func parts(_ topID: String, call: DatabaseCall) async throws -> [Part] {
        let rows = try await api.routing.resolve(
            topID: topID, type: .databaseCluster, projectID: call.caller.isAdmin ? nil : call.caller.projectID)
        var located: [(Pod, String)] = []
        for row in rows {
            if let bottomID = row.bottomID, let pod = try await api.pods.pod(id: row.podID) { located.append((pod, bottomID)) }
        }
        guard !located.isEmpty else { throw DatabaseAPI.fault(TroveError.clusterNotFound(topID)) }
        let answers = try await Fanout.all(located) { pod, bottomID -> Part in
            let response = try await api.send(call, .get("/clusters/\(bottomID)"), to: pod)
            if response.status == 404 { return Part(pod: pod, bottomID: bottomID, cluster: nil) }
            guard response.isSuccess else {
                throw APIError(HTTPResponse.Status(code: response.status),
                               "Region \(pod.regionName) could not show its part of cluster \(topID) (HTTP \(response.status)).", format: .trove)
            }
            return Part(pod: pod, bottomID: bottomID, cluster: decodeCluster(response, call: call))
        }
        // Parts their pod no longer has were deleted (or shrunk away): forgotten.
        for part in answers where part.cluster == nil {
            if let row = rows.first(where: { $0.podID == part.pod.podID }) { _ = try? await api.routing.routings.delete(row.id) }
            api.routing.invalidate(topID: topID, type: .databaseCluster)
        }
        let alive = answers.filter { $0.cluster != nil }
        guard !alive.isEmpty else { throw DatabaseAPI.fault(TroveError.clusterNotFound(topID)) }
        return alive
    }

    /// A pod's cluster answer with its links leading to the gateway.
    func decodeCluster(_ response: RegionalResponse, call: DatabaseCall) -> DatabaseCluster? {
        var body = response.body
        if let from = PodForwarder.origin(of: response.url), !call.origin.isEmpty { body = body.replacingAll(from, with: call.origin) }
        return (try? JSONDecoder().decode(DatabaseClusterEnvelope<DatabaseCluster>.self, from: Data(buffer: body)))?.cluster
    }

    /// The top cluster as Trove shows one: every part's members (each with its region), one task.
    func render(_ topID: String, parts: [Part], call: DatabaseCall) -> DatabaseCluster? {
        let clusters = parts.compactMap(\.cluster)
        guard let first = clusters.first else { return nil }
        let href = "\(call.base)/clusters/\(topID)"
        // Each member's region is its part's: the top knows which pod's cluster lists it (Trove's cluster
        // view need not say, and says nothing the top could trust more).
        let members = parts.flatMap { part in
            (part.cluster?.instances ?? []).map { member in
                var member = member
                member.region = part.pod.regionName
                return member
            }
        }
        return DatabaseCluster(
            id: topID, name: first.name, task: Self.task(clusters.map(\.task)), datastore: first.datastore,
            instances: members, links: [Link(rel: "self", href: href), Link(rel: "bookmark", href: href)],
            created: clusters.map(\.created).min() ?? first.created, updated: clusters.map(\.updated).max() ?? first.updated,
            ip: clusters.flatMap { $0.ip ?? [] }, locality: first.locality)
    }

    /// One task for the parts': a delete wins, then a grow (a part still building while another is done
    /// is the cluster growing into a new region), a shrink, the initial build; NONE when every part is idle.
    static func task(_ tasks: [DatabaseClusterTask]) -> DatabaseClusterTask {
        let names = Set(tasks.map(\.name))
        if names.contains(DatabaseClusterTask.deleting.name) { return .deleting }
        if names.contains(DatabaseClusterTask.growingCluster.name) { return .growingCluster }
        if names.contains(DatabaseClusterTask.buildingInitial.name) {
            return names.contains(DatabaseClusterTask.none.name) ? .growingCluster : .buildingInitial
        }
        if names.contains(DatabaseClusterTask.shrinkingCluster.name) { return .shrinkingCluster }
        return tasks.first { $0.name != DatabaseClusterTask.none.name } ?? .none
    }

    func answer(_ cluster: DatabaseCluster?, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let cluster else { throw APIError(.badGateway, "No region showed the cluster.", format: .trove) }
        let data = try JSONEncoder().encode(DatabaseClusterEnvelope(cluster: cluster))
        return api.json(try JSONDecoder().decode(JSONValue.self, from: data), status: status)
    }

    /// The members' pods, in request order, grouped: a member names a region (`region_name`/`region`), an
    /// AZ, or neither (then `fallback`, else the default AZ's pod).
    func group(_ specs: [JSONValue], fallback: Pod?) async throws -> [(pod: Pod, specs: [[String: JSONValue]])] {
        var groups: [(pod: Pod, specs: [[String: JSONValue]])] = []
        let placer = InstanceCreateRoutes(api: api)
        for spec in specs {
            guard var member = spec.objectValue else { throw DatabaseAPI.badRequest("Validation error: each instance must be an object") }
            let region = InstanceCreateRoutes.text(member["region_name"]) ?? InstanceCreateRoutes.text(member["region"])
            let zone = InstanceCreateRoutes.text(member["availability_zone"])
            let pod = try await placer.target(region: region, zone: zone, source: fallback)
            member["region_name"] = nil
            member["region"] = nil
            if zone != nil { member["availability_zone"] = .string(pod.bottomAZ) }
            if let index = groups.firstIndex(where: { $0.pod.podID == pod.podID }) {
                groups[index].specs.append(member)
            } else {
                groups.append((pod, [member]))
            }
        }
        return groups
    }

    /// The spec's checks for every member's region (the datastore version, its image, each flavor), with
    /// each member's flavor rewritten to the pod's. The first region that fails answers 400.
    func checked(_ groups: [(pod: Pod, specs: [[String: JSONValue]])], datastore: DatastoreRef, call: DatabaseCall) async throws
        -> [(pod: Pod, specs: [[String: JSONValue]])] {
        var out = groups
        let check = PlacementCheck(api: api)
        for (index, group) in groups.enumerated() {
            let flavors = Set(group.specs.compactMap { InstanceCreateRoutes.text($0["flavorRef"]) ?? $0["flavorRef"]?.intValue.map(String.init) })
            var mapped: [String: String] = [:]
            for flavor in flavors.sorted() {
                let outcome = try await check.check(datastore: datastore, flavorRef: flavor, in: group.pod, call: call, copyMissingImage: true)
                guard outcome.placeable else {
                    throw DatabaseAPI.badRequest("Cannot place cluster members in region \(group.pod.regionName): " + outcome.problems.joined(separator: " "))
                }
                if let bottom = outcome.bottomFlavor { mapped[flavor] = bottom }
            }
            out[index].specs = group.specs.map { spec in
                var member = spec
                if let flavor = InstanceCreateRoutes.text(spec["flavorRef"]) ?? spec["flavorRef"]?.intValue.map(String.init),
                   let bottom = mapped[flavor] { member["flavorRef"] = .string(bottom) }
                return member
            }
        }
        return out
    }

    // MARK: Which member is which item

    // A region answers with its members in its own order (Trove lists a cluster's instances unordered) and
    // may lose one meanwhile, and their ids are known only from that answer: a member is paired with the item
    // it was asked for by its name, which the top gives every item (`named`), never by position. After that a
    // member is known by its id (top id = bottom id, recorded as a routed instance).

    /// The items of a create or grow with every unnamed one named "<cluster>-member-<n>", n the lowest numbers
    /// no member of the whole top cluster has (`taken`: its members' names). Each region would otherwise
    /// number its own part from 1 (members of one top cluster under one name), and the top could not tell
    /// which member it made for which item.
    static func named(_ specs: [JSONValue], cluster: String?, taken: Set<String>) -> [JSONValue] {
        guard let cluster else { return specs }
        var used = taken.union(specs.compactMap { InstanceCreateRoutes.text($0["name"]) })
        var next = 1
        return specs.map { spec in
            guard var item = spec.objectValue, InstanceCreateRoutes.text(item["name"]) == nil else { return spec }
            while used.contains("\(cluster)-member-\(next)") { next += 1 }
            let name = "\(cluster)-member-\(next)"
            used.insert(name)
            item["name"] = .string(name)
            return .object(item)
        }
    }

    /// Pairs the members a region made with the items it was asked for (an index into `items`) by name;
    /// items the client named alike are taken in turn. A member under no asked name is left out.
    static func match(_ made: [DatabaseClusterMember], to items: [[String: JSONValue]]) -> [(id: String, item: Int)] {
        var free = Array(items.indices)
        var pairs: [(id: String, item: Int)] = []
        for member in made {
            guard let at = free.firstIndex(where: { InstanceCreateRoutes.text(items[$0]["name"]) == member.name }) else { continue }
            pairs.append((member.id, free.remove(at: at)))
        }
        return pairs
    }

    /// `match`, logging the members no item was found for (they hold no quota until the reconcile job counts them).
    func matched(_ made: [DatabaseClusterMember], to items: [[String: JSONValue]], in pod: Pod) -> [(id: String, item: Int)] {
        let pairs = Self.match(made, to: items)
        if pairs.count < made.count {
            let known = Set(pairs.map(\.id))
            api.logger.warning("cluster members made under a name the top did not ask for", metadata: [
                "region": "\(pod.regionName)", "members": "\(made.filter { !known.contains($0.id) }.map(\.name))",
            ])
        }
        return pairs
    }

    /// Records a part and its members (so `/instances/{member}` is routed too).
    func record(topID: String, part: DatabaseCluster, in pod: Pod, call: DatabaseCall) async throws {
        if try await api.routing.resolve(topID: topID, type: .databaseCluster, podID: pod.podID, projectID: nil) == nil {
            try await api.routing.record(topID: topID, bottomID: part.id, podID: pod.podID, projectID: call.caller.projectID, type: .databaseCluster)
        }
        try await recordMembers(part, in: pod, call: call)
    }

    func recordMembers(_ part: DatabaseCluster, in pod: Pod, call: DatabaseCall) async throws {
        for member in part.instances
        where try await api.routing.resolve(topID: member.id, type: .databaseInstance, podID: pod.podID, projectID: nil) == nil {
            try await api.routing.record(topID: member.id, bottomID: member.id, podID: pod.podID, projectID: call.caller.projectID, type: .databaseInstance)
        }
    }
}
