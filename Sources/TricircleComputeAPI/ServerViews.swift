import Foundation
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// Puts top names back into a pod's server views: a server booted from an image copied into its pod shows
/// the pod's copy, and its `addresses` are keyed by the pod's network names, which are the top networks'
/// ids; clients know the image by its top id and the network by its top name. Lookups are cached
/// (bounded, short TTL) since a list shows the same few images and networks many times.
final class ServerViews: Sendable {
    private struct Entry { var topID: String?; var expires: ContinuousClock.Instant }
    private let routings: RoutingStore
    private let networks: NetworkDocumentStore
    private let cache = Mutex<[String: Entry]>([:])
    private let capacity = 10_000
    private let ttl = Duration.seconds(60)

    static let azKey = "OS-EXT-AZ:availability_zone"
    static let pinnedKey = "pinned_availability_zone"

    init(routings: RoutingStore, networks: NetworkDocumentStore) {
        self.routings = routings
        self.networks = networks
    }

    /// The top network's name for an `addresses` key that is a top network's id (nil: leave the key).
    func networkName(_ key: String) async -> String? {
        guard key.count == 36, key.contains("-") else { return nil }
        let cacheKey = "net|" + key
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[cacheKey] }), hit.expires > now { return hit.topID }
        let name = (try? await networks.get(.networks, id: key))?.name
        let shown = name.flatMap { $0.isEmpty ? nil : $0 }
        remember(cacheKey, shown, now)
        return shown
    }

    private func remember(_ key: String, _ value: String?, _ now: ContinuousClock.Instant) {
        cache.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = Entry(topID: value, expires: now.advanced(by: ttl))
        }
    }

    /// Whether a pod's server view shows anything `translate` would change.
    func needsTranslation(_ glance: ServerGlance, pod: Pod) async -> Bool {
        if pod.bottomAZ != pod.azName,
           glance.availabilityZone == pod.bottomAZ || glance.pinnedAvailabilityZone == pod.bottomAZ { return true }
        if let imageID = glance.imageID, await topImage(imageID, pod: pod) != nil { return true }
        for key in glance.networkKeys where await networkName(key) != nil { return true }
        return false
    }

    /// The top id of an image the pod knows as `bottomID` (nil: the pod's id is the top id).
    func topImage(_ bottomID: String, pod: Pod) async -> String? {
        let key = pod.podID + "|" + bottomID
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.topID }
        let row = try? await routings.list(
            filter: RoutingFilter(bottomID: bottomID, podID: pod.podID, resourceType: .image), limit: 1).first
        let top = row.flatMap { $0.topID == bottomID ? nil : $0.topID }
        remember(key, top, now)
        return top
    }

    /// Translates the image of many server views of one pod (each distinct image looked up once).
    func translate(_ servers: [[String: JSONValue]], pod: Pod, root: String) async -> [[String: JSONValue]] {
        var tops: [String: String] = [:]
        for id in Set(servers.compactMap { $0["image"]?["id"]?.stringValue }) {
            if let top = await topImage(id, pod: pod) { tops[id] = top }
        }
        var names: [String: String] = [:]
        for key in Set(servers.flatMap { $0["addresses"]?.objectValue?.keys.map { $0 } ?? [] }) {
            if let name = await networkName(key) { names[key] = name }
        }
        let renameAZ = pod.bottomAZ != pod.azName
        guard !tops.isEmpty || !names.isEmpty || renameAZ else { return servers }
        return servers.map { server in
            var out = server
            // The pod's own AZ name ("nova") is shown as the top's AZ, the one clients booted into.
            if renameAZ, server[Self.azKey]?.stringValue == pod.bottomAZ { out[Self.azKey] = .string(pod.azName) }
            // So is the AZ the server is pinned to (2.96+): the pod pinned it to its own name.
            if renameAZ, server[Self.pinnedKey]?.stringValue == pod.bottomAZ { out[Self.pinnedKey] = .string(pod.azName) }
            if let id = server["image"]?["id"]?.stringValue, let top = tops[id] {
                // Only the id and its link change: the image `properties` the pod embeds from 2.98 (Nova's
                // standard image properties, the same in a copy) stay.
                var image = server["image"]?.objectValue ?? [:]
                image["id"] = .string(top)
                image["links"] = [["rel": "bookmark", "href": .string("\(root)/images/\(top)")]]
                out["image"] = .object(image)
            }
            if let addresses = server["addresses"]?.objectValue, addresses.keys.contains(where: { names[$0] != nil }) {
                var renamed: [String: JSONValue] = [:]
                for (key, value) in addresses { renamed[names[key] ?? key] = value }
                out["addresses"] = .object(renamed)
            }
            return out
        }
    }
}
