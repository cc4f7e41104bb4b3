import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// Volume types are mapped between the top and the pods by name: each pod keeps its own types (and ids);
/// the top lists the union by name and shows each under the id of the first pod (in AZ order) that has
/// it. The pods' type lists are kept briefly per (pod, project), since creates and retypes need them.
final class VolumeTypeCatalog: Sendable {
    struct Entry: Sendable, Hashable {
        var id: String
        var name: String
    }

    static let keep: Duration = .seconds(30)
    /// The pods a type name is looked for in.
    private let pods: PodDirectory
    private let cache = Mutex<[String: (entries: [Entry], until: ContinuousClock.Instant)]>([:])
    /// Bounds the cache: one entry per (pod, project).
    private static let capacity = 10_000

    private let forwarder: PodForwarder

    init(pods: PodDirectory, forwarder: PodForwarder) {
        self.pods = pods
        self.forwarder = forwarder
    }

    /// The types `pod` shows the caller (id and name), from the cache or the pod.
    func entries(in pod: Pod, call: VolumeCall) async throws -> [Entry] {
        let key = pod.podID + "|" + call.caller.projectID
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[key] }), now < hit.until { return hit.entries }
        let response = try await forwarder.send(
            .get("/types", headers: call.versionHeaders), to: pod, credentials: call.credentials)
        try response.requireSuccess()
        let list = (try? JSONValue(data: response.data))?["volume_types"]?.arrayValue ?? []
        let entries = list.compactMap { item -> Entry? in
            guard let id = item["id"]?.stringValue, let name = item["name"]?.stringValue else { return nil }
            return Entry(id: id, name: name)
        }
        cache.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = (entries, now.advanced(by: Self.keep))
        }
        return entries
    }

    /// Forgets every cached list (after a type was created or deleted through the top).
    func invalidate() { cache.withLock { $0.removeAll() } }

    /// Every pod's own id of the type the client names (a top id = some pod's id, or a name), found by
    /// the type's name in each pod at once; 404 in Cinder's words when no pod knows it.
    func holders(of id: String, call: VolumeCall) async throws -> [(Pod, String)] {
        if let found = try await cachedHolders(of: id, call: call) { return found }
        // Made a moment ago, perhaps through another gateway process whose cache is not this one: ask the pods again.
        invalidate(project: call.caller.projectID)
        if let found = try await cachedHolders(of: id, call: call) { return found }
        throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
    }

    /// The holders as the cached (or freshly read) lists say; nil when no pod's list has the type.
    private func cachedHolders(of id: String, call: VolumeCall) async throws -> [(Pod, String)]? {
        let pods = try await self.pods.bottomPods()
        let lists = try await Fanout.results(pods) { pod in try await self.entries(in: pod, call: call) }.map { try? $0.get() }
        guard let name = lists.lazy.compactMap({ list in list?.first(where: { $0.id == id || $0.name == id })?.name }).first else {
            return nil
        }
        return zip(pods, lists).compactMap { pod, list in list?.first(where: { $0.name == name }).map { (pod, $0.id) } }
    }

    /// Forgets one project's lists in every pod.
    func invalidate(project: String) {
        cache.withLock { cache in
            for key in cache.keys where key.hasSuffix("|" + project) { cache[key] = nil }
        }
    }

    /// A type named by the client (a name, or a top id = another pod's id) as `pod` knows it.
    /// 400 when the type exists elsewhere but not in that pod; unknown values go through unchanged
    /// (the pod then answers its own 404).
    func translate(_ value: String, to pod: Pod, call: VolumeCall) async throws -> String {
        var found = await translation(value, to: pod, call: call)
        if case .known = found {} else {
            // Lists kept from before the type was made, perhaps through another gateway process whose cache is
            // not this one: ask the pods again before calling it unknown or missing here.
            invalidate(project: call.caller.projectID)
            found = await translation(value, to: pod, call: call)
        }
        switch found {
        case .known(let translated): return translated
        case .unknown: return value
        case .missingHere(let name):
            throw VolumeAPI.badRequest("Invalid input received: volume type \(name) is not available in availability zone \(pod.azName).")
        }
    }

    /// What the cached (or freshly read) lists say about a type named by the client.
    private enum Translation { case known(String), unknown, missingHere(name: String) }

    private func translation(_ value: String, to pod: Pod, call: VolumeCall) async -> Translation {
        guard let here = try? await entries(in: pod, call: call) else { return .known(value) }
        if here.contains(where: { $0.name == value || $0.id == value }) { return .known(value) }
        let others = ((try? await pods.bottomPods()) ?? []).filter { $0.podID != pod.podID }
        let name = await Fanout.first(others) { other in
            (try? await self.entries(in: other, call: call))?.first { $0.id == value }?.name
        }
        guard let name else { return .unknown }
        return here.contains(where: { $0.name == name }) ? .known(name) : .missingHere(name: name)
    }
}

extension VolumeAPI {
    /// Asks every bottom pod at once (each time-boxed by the list timeout); pods that fail are left out.
    func everyPod(_ call: VolumeCall, _ request: @escaping @Sendable (Pod) -> RegionalRequest) async throws -> [(Pod, RegionalResponse)] {
        let pods = try await self.pods.bottomPods()
        let timeout = listTimeout
        let answers = try await Fanout.results(pods) { pod in
            var outgoing = request(pod)
            outgoing.timeout = timeout
            return try await send(call, outgoing, to: pod)
        }
        return zip(pods, answers).compactMap { pod, answer in
            switch answer {
            case .success(let response): return (pod, response)
            case .failure(let error):
                logger.warning("pod left out of a volume type call", metadata: ["pod": "\(pod.regionName)", "error": "\(error)"])
                return nil
            }
        }
    }
}
