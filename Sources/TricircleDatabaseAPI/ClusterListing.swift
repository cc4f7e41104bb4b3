import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `GET /clusters` merged and paged like every Trove list (`TroveListing`), ordered by id as Trove pages
/// clusters. A top cluster spans pods, so each one is listed by one pod only: the pod of its first part
/// (lowest pod id), which shows it whole (every part read). That pod down leaves the cluster out of the
/// page (the lister logs the pod); a cluster whose other part cannot be read is left out and logged.
struct ClusterListSource: CrossPodListSource {
    typealias Item = [String: JSONValue]
    let api: DatabaseAPI
    let call: DatabaseCall

    /// Trove's cluster order.
    static let order = [SortKey("id", ascending: true)]

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [Item] {
        let rows = try await api.routing.routings.list(
            filter: RoutingFilter(projectID: call.caller.projectID, resourceType: .databaseCluster), limit: 10_000)
        var firstPod: [String: String] = [:]
        for row in rows { firstPod[row.topID] = min(firstPod[row.topID] ?? row.podID, row.podID) }
        let mine = firstPod.filter { $0.value == pod.podID }.keys.sorted()
        let parts = ClusterParts(api: api)
        let shown = try await Fanout.results(mine) { id -> Item? in
            guard let cluster = parts.render(id, parts: try await parts.parts(id, call: call), call: call) else { return nil }
            return try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(cluster)).objectValue
        }
        var items: [Item] = []
        for (id, result) in zip(mine, shown) {
            switch result {
            case .success(let item?): items.append(item)
            case .success(nil): continue
            case .failure(let error as APIError) where error.status == .notFound: continue
            case .failure(let error): api.logger.warning("cluster left out of the list", metadata: ["cluster": "\(id)", "error": "\(error)"])
            }
        }
        return CrossPodOrder.page(items, after: marker, limit: limit, sortKeys)
    }

    func id(of item: Item) -> String { item["id"]?.stringValue ?? "" }
    func bottomID(of item: Item) -> String { id(of: item) }
    func sortValue(of item: Item, field: String) -> JSONValue? { item[field] }

    func locate(marker: String) async throws -> (pod: Pod, item: Item)? {
        let rows = try await api.routing.resolve(
            topID: marker, type: .databaseCluster, projectID: call.caller.isAdmin ? nil : call.caller.projectID)
        guard let first = rows.map(\.podID).min(), let pod = try await api.pods.pod(id: first) else { return nil }
        let parts = ClusterParts(api: api)
        guard let found = try? await parts.parts(marker, call: call), let cluster = parts.render(marker, parts: found, call: call),
              let item = try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(cluster)).objectValue
        else { return nil }
        return (pod, item)
    }
}
