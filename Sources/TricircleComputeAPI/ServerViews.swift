import Foundation
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// Puts top ids back into a pod's server views: a server booted from an image copied into its pod shows
/// the pod's copy; clients know the image by its top id. Reverse lookups are cached (bounded, short TTL)
/// since a list shows the same few images many times.
final class ServerViews: Sendable {
    private struct Entry { var topID: String?; var expires: ContinuousClock.Instant }
    private let routings: RoutingStore
    private let cache = Mutex<[String: Entry]>([:])
    private let capacity = 10_000
    private let ttl = Duration.seconds(60)

    init(routings: RoutingStore) { self.routings = routings }

    /// The top id of an image the pod knows as `bottomID` (nil: the pod's id is the top id).
    func topImage(_ bottomID: String, pod: Pod) async -> String? {
        let key = pod.podID + "|" + bottomID
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.topID }
        let row = try? await routings.list(
            filter: RoutingFilter(bottomID: bottomID, podID: pod.podID, resourceType: .image), limit: 1).first
        let top = row.flatMap { $0.topID == bottomID ? nil : $0.topID }
        cache.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = Entry(topID: top, expires: now.advanced(by: ttl))
        }
        return top
    }

    /// Translates the image of many server views of one pod (each distinct image looked up once).
    func translate(_ servers: [[String: JSONValue]], pod: Pod, root: String) async -> [[String: JSONValue]] {
        var tops: [String: String] = [:]
        for id in Set(servers.compactMap { $0["image"]?["id"]?.stringValue }) {
            if let top = await topImage(id, pod: pod) { tops[id] = top }
        }
        guard !tops.isEmpty else { return servers }
        return servers.map { server in
            guard let id = server["image"]?["id"]?.stringValue, let top = tops[id] else { return server }
            var out = server
            out["image"] = ["id": .string(top), "links": [["rel": "bookmark", "href": .string("\(root)/images/\(top)")]]]
            return out
        }
    }
}
