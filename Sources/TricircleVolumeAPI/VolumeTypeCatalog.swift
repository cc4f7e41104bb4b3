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
    private let runtime: GatewayRuntime
    private let cache = Mutex<[String: (entries: [Entry], until: ContinuousClock.Instant)]>([:])
    /// Bounds the cache: one entry per (pod, project).
    private static let capacity = 10_000

    private let forwarder: PodForwarder

    init(runtime: GatewayRuntime) {
        self.runtime = runtime
        self.forwarder = runtime.forwarder(serviceType: VolumeAPI.podServiceType, format: .fault)
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
        let pods = try await runtime.podDirectory.bottomPods()
        let lists = try await Fanout.results(pods) { pod in try await self.entries(in: pod, call: call) }.map { try? $0.get() }
        guard let name = lists.lazy.compactMap({ list in list?.first(where: { $0.id == id || $0.name == id })?.name }).first else {
            throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
        }
        return zip(pods, lists).compactMap { pod, list in list?.first(where: { $0.name == name }).map { (pod, $0.id) } }
    }

    /// A type named by the client (a name, or a top id = another pod's id) as `pod` knows it.
    /// 400 when the type exists elsewhere but not in that pod; unknown values go through unchanged
    /// (the pod then answers its own 404).
    func translate(_ value: String, to pod: Pod, call: VolumeCall) async throws -> String {
        guard let here = try? await entries(in: pod, call: call) else { return value }
        if here.contains(where: { $0.name == value || $0.id == value }) { return value }
        let others = ((try? await runtime.podDirectory.bottomPods()) ?? []).filter { $0.podID != pod.podID }
        let name = await Fanout.first(others) { other in
            (try? await self.entries(in: other, call: call))?.first { $0.id == value }?.name
        }
        guard let name else { return value }
        guard here.contains(where: { $0.name == name }) else {
            throw VolumeAPI.badRequest("Invalid input received: volume type \(name) is not available in availability zone \(pod.azName).")
        }
        return name
    }
}

extension VolumeAPI {
    func addTypeRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("types") { request, context in try await listTypes(try await begin(request, context)) }
        group.get("types/default") { request, context in try await defaultType(try await begin(request, context)) }
        group.get("types/:id") { request, context in try await showType(try await begin(request, context)) }
        group.post("types") { request, context in try await createType(try await begin(request, context)) }
        group.delete("types/:id") { request, context in try await deleteType(try await begin(request, context)) }
    }

    /// Asks every bottom pod at once (each time-boxed by the list timeout); pods that fail are left out.
    func everyPod(_ call: VolumeCall, _ request: @escaping @Sendable (Pod) -> RegionalRequest) async throws -> [(Pod, RegionalResponse)] {
        let pods = try await runtime.podDirectory.bottomPods()
        let timeout = runtime.listTimeout
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

    /// `GET /types`: the union by name over every pod; a name's id is the first pod's (AZ order).
    func listTypes(_ call: VolumeCall) async throws -> Response {
        let path = "/types" + PodForwarder.query(of: call.request)
        let answers = try await everyPod(call) { _ in .get(path) }
        var byName: [String: JSONValue] = [:]
        for (_, response) in answers where response.isSuccess {
            for item in (try? JSONValue(data: response.data))?["volume_types"]?.arrayValue ?? [] {
                guard let name = item["name"]?.stringValue, byName[name] == nil else { continue }
                byName[name] = item
            }
        }
        if answers.allSatisfy({ !$0.1.isSuccess }), let failure = answers.first?.1 { return relay(failure, call) }
        let merged = byName.keys.sorted().compactMap { byName[$0] }
        return json(["volume_types": .array(merged)], call: call)
    }

    /// `GET /types/{id or name}`: the first pod (AZ order) that knows it.
    func showType(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let answers = try await everyPod(call) { _ in .get("/types/\(id)") }
        if let found = answers.first(where: { $0.1.isSuccess }) { return relay(found.1, call) }
        if let failure = answers.first(where: { $0.1.status != 404 }) { return relay(failure.1, call) }
        throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
    }

    /// `GET /types/default`: the default type of the pod creates go to when no AZ is named.
    func defaultType(_ call: VolumeCall) async throws -> Response {
        let pod: Pod
        do { pod = try await runtime.podDirectory.podForCreate(availabilityZone: nil) } catch {
            throw APIError(.notFound, "Default volume type can not be found.", format: .fault)
        }
        return relay(try await send(call, .get("/types/default"), to: pod), call)
    }

    /// `POST /types` (admin): created in every pod at once, so the name means the same type everywhere.
    /// If any pod refuses, the pods that accepted are undone and the refusal is answered.
    func createType(_ call: VolumeCall) async throws -> Response {
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:types_manage to be performed.", format: .fault)
        }
        let raw = try await body(call)
        _ = try member(raw, "volume_type")
        let pods = try await runtime.podDirectory.bottomPods()
        let answers = try await Fanout.results(pods) { pod in try await send(call, .rawJSON("POST", "/types", body: raw), to: pod) }
        types.invalidate()
        let failure = answers.first { if case .success(let r) = $0 { !r.isSuccess } else { true } }
        guard let failure else {
            guard case .success(let first)? = answers.first else {
                throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .fault)
            }
            return relay(first, call)
        }
        // Undo where it was created, so a type exists in all pods or in none.
        let made: [(Pod, String)] = zip(pods, answers).compactMap { pod, answer in
            guard case .success(let response) = answer, response.isSuccess,
                  let id = (try? JSONValue(data: response.data))?["volume_type"]?["id"]?.stringValue else { return nil }
            return (pod, id)
        }
        _ = try await Fanout.results(made) { pod, id in _ = try await send(call, .delete("/types/\(id)"), to: pod) }
        switch failure {
        case .success(let response): return relay(response, call)
        case .failure(let error): throw error
        }
    }

    /// `DELETE /types/{id}` (admin): the type's name is found from the id, then it is deleted in every
    /// pod that has it, at once.
    func deleteType(_ call: VolumeCall) async throws -> Response {
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:types_manage to be performed.", format: .fault)
        }
        let id = try call.param("id")
        types.invalidate()
        let holding = try await types.holders(of: id, call: call)
        let answers = try await Fanout.results(holding) { pod, podTypeID in
            do { return try await send(call, .delete("/types/\(podTypeID)"), to: pod) } catch {
                // Told to the client like any pod's refusal.
                let message = (error as? APIError)?.message ?? "Region \(pod.regionName) is unavailable."
                return RegionalResponse(url: "", status: 503, headers: [("Content-Type", "application/json")],
                                        body: APIFaultFormat.fault.body(status: 503, message: message))
            }
        }.compactMap { try? $0.get() }
        types.invalidate()
        if let failure = answers.first(where: { !$0.isSuccess && $0.status != 404 }) {
            return relay(failure, call)
        }
        return Response(status: .accepted)
    }
}
