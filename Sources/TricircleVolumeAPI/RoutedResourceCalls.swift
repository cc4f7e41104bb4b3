import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// What volumes and snapshots share: both live in one pod under the top's id (top id = bottom id), are
/// listed across pods, and are shown, changed and deleted in their pod.
extension VolumeAPI {
    /// A route handler, as Hummingbird takes it.
    typealias Handler = @Sendable (Request, GatewayRequestContext) async throws -> Response

    /// The URL collection of a routed type (`volumes`, `snapshots`).
    static func collection(_ type: ResourceType) -> String {
        switch type {
        case .snapshot: "snapshots"
        case .volumeBackup: "backups"
        default: "volumes"
        }
    }

    /// `GET /<collection>` or `/<collection>/detail`: merged across pods (see `mergedList`).
    func list(_ type: ResourceType, detail: Bool) -> Handler {
        { request, context in
            try await mergedList(try await begin(request, context), collection: Self.collection(type), type: type, detail: detail)
        }
    }

    /// A call on one routed volume or snapshot at `/<collection>/{id}<suffix>` (`:key` in `suffix` is the
    /// path's key), the client's body passed on for POST and PUT; `shown` rewrites the pod's answer.
    func routed(_ type: ResourceType, suffix: String = "",
                shown: @escaping @Sendable (RegionalResponse, Pod) -> RegionalResponse = { response, _ in response }) -> Handler {
        { request, context in
            let call = try await begin(request, context)
            let tail = suffix.contains(":key") ? suffix.replacingOccurrences(of: ":key", with: try call.param("key")) : suffix
            let (pod, response) = try await routed(call, type: type, suffix: tail)
            return relay(shown(response, pod), call)
        }
    }

    /// Sends the call to the pod holding it; a pod that says the resource itself is gone (404 to a GET)
    /// makes the top forget it.
    func routed(_ call: VolumeCall, type: ResourceType, suffix: String) async throws -> (Pod, RegionalResponse) {
        let id = try call.param("id")
        let (pod, bottomID) = try await locate(id, type: type, call: call)
        let hasBody = call.request.method == .post || call.request.method == .put
        let response = try await forward(
            call, to: pod, path: "/\(Self.collection(type))/\(bottomID)\(suffix)", body: hasBody ? try await body(call) : nil)
        if suffix.isEmpty, call.request.method == .get, response.status == 404 {
            try? await routing.forget(topID: id, type: type)
        }
        return (pod, response)
    }

    /// `DELETE /<collection>/{id}`: routed; the routing row goes once the pod says it is gone (Cinder
    /// deletes asynchronously: a later show that gets 404 forgets it too).
    func delete(_ type: ResourceType) -> Handler {
        { request, context in
            let call = try await begin(request, context)
            let id = try call.param("id")
            let (pod, bottomID) = try await locate(id, type: type, call: call)
            let path = "/\(Self.collection(type))/\(bottomID)"
            let response = try await forward(call, to: pod, path: path)
            if response.status == 404 {
                try? await routing.forget(topID: id, type: type)
            } else if response.isSuccess, let check = try? await send(call, .get(path), to: pod), check.status == 404 {
                try? await routing.forget(topID: id, type: type)
            }
            return relay(response, call)
        }
    }

    /// Records what a pod made at the top and tells the quota claim what it holds. When the top cannot
    /// record it, it is deleted from the pod (the client gets 503 and may try again).
    func recordCreated(_ id: String, type: ResourceType, in pod: Pod, call: VolumeCall, claim: QuotaClaim,
                       amounts: [String: Int]) async throws {
        let noun = Self.noun(type).lowercased()
        do {
            try await routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: call.caller.projectID, type: type)
            claim.made(QuotaHolding(objectType: type.rawValue, objectID: id, projectID: call.caller.projectID, podID: pod.podID,
                                    amounts: amounts))
        } catch {
            logger.error("recording a created \(noun) failed; removing it from its pod", metadata: ["id": "\(id)", "error": "\(error)"])
            await removeOrphan(call, path: "/\(Self.collection(type))/\(id)", in: pod)
            throw APIError(.serviceUnavailable, "The \(noun) could not be recorded at the top and was removed from \(pod.azName); try again.", format: .fault)
        }
    }

    /// The id of what a pod says it made (`{"<member>": {"id": ...}}`); 502 when its answer has none.
    func createdID(_ answer: JSONValue?, member: String, in pod: Pod) throws -> String {
        guard let id = answer?[member]?["id"]?.stringValue else {
            logger.error("pod accepted a \(member) create but its answer has no id", metadata: ["pod": "\(pod.regionName)"])
            throw APIError(.badGateway, "Region \(pod.regionName) accepted the \(member) but did not say its id.", format: .fault)
        }
        return id
    }
}
