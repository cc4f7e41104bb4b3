import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// `/types`: volume types kept the same by name in every pod.
struct VolumeTypeRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("types", use: list)
        group.get("types/default", use: showDefault)
        group.get("types/:id", use: show)
        group.post("types", use: create)
        group.delete("types/:id", use: delete)
    }

    /// `GET /types`: the union by name over every pod; a name's id is the first pod's (AZ order).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let path = "/types" + PodForwarder.query(of: call.request)
        let answers = try await api.everyPod(call) { _ in .get(path) }
        var byName: [String: JSONValue] = [:]
        for (_, response) in answers where response.isSuccess {
            for item in (try? JSONValue(data: response.data))?["volume_types"]?.arrayValue ?? [] {
                guard let name = item["name"]?.stringValue, byName[name] == nil else { continue }
                byName[name] = item
            }
        }
        if answers.allSatisfy({ !$0.1.isSuccess }), let failure = answers.first?.1 { return api.relay(failure, call) }
        let merged = byName.keys.sorted().compactMap { byName[$0] }
        return api.json(["volume_types": .array(merged)], call: call)
    }

    /// `GET /types/{id or name}`: the first pod (AZ order) that knows it.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let id = try call.param("id")
        let answers = try await api.everyPod(call) { _ in .get("/types/\(id)") }
        if let found = answers.first(where: { $0.1.isSuccess }) { return api.relay(found.1, call) }
        if let failure = answers.first(where: { $0.1.status != 404 }) { return api.relay(failure.1, call) }
        throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
    }

    /// `GET /types/default`: the default type of the pod creates go to when no AZ is named.
    func showDefault(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let pod: Pod
        do { pod = try await api.pods.podForCreate(availabilityZone: nil) } catch {
            throw APIError(.notFound, "Default volume type can not be found.", format: .fault)
        }
        return api.relay(try await api.send(call, .get("/types/default"), to: pod), call)
    }

    /// `POST /types` (admin): created in every pod at once, so the name means the same type everywhere.
    /// If any pod refuses, the pods that accepted are undone and the refusal is answered.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:types_manage to be performed.", format: .fault)
        }
        let raw = try await api.body(call)
        _ = try api.member(raw, "volume_type")
        let pods = try await api.pods.bottomPods()
        let answers = try await Fanout.results(pods) { pod in try await api.send(call, .rawJSON("POST", "/types", body: raw), to: pod) }
        api.types.invalidate()
        let failure = answers.first { if case .success(let r) = $0 { !r.isSuccess } else { true } }
        guard let failure else {
            guard case .success(let first)? = answers.first else {
                throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .fault)
            }
            return api.relay(first, call)
        }
        // Undo where it was created, so a type exists in all pods or in none.
        let made: [(Pod, String)] = zip(pods, answers).compactMap { pod, answer in
            guard case .success(let response) = answer, response.isSuccess,
                  let id = (try? JSONValue(data: response.data))?["volume_type"]?["id"]?.stringValue else { return nil }
            return (pod, id)
        }
        _ = try await Fanout.results(made) { pod, id in _ = try await api.send(call, .delete("/types/\(id)"), to: pod) }
        switch failure {
        case .success(let response): return api.relay(response, call)
        case .failure(let error): throw error
        }
    }

    /// `DELETE /types/{id}` (admin): the type's name is found from the id, then it is deleted in every
    /// pod that has it, at once.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:types_manage to be performed.", format: .fault)
        }
        let id = try call.param("id")
        api.types.invalidate()
        let holding = try await api.types.holders(of: id, call: call)
        let answers = try await Fanout.results(holding) { pod, podTypeID in
            do { return try await api.send(call, .delete("/types/\(podTypeID)"), to: pod) } catch {
                // Told to the client like any pod's refusal.
                let message = (error as? APIError)?.message ?? "Region \(pod.regionName) is unavailable."
                return RegionalResponse(url: "", status: 503, headers: [("Content-Type", "application/json")],
                                        body: APIFaultFormat.fault.body(status: 503, message: message))
            }
        }.compactMap { try? $0.get() }
        api.types.invalidate()
        if let failure = answers.first(where: { !$0.isSuccess && $0.status != 404 }) {
            return api.relay(failure, call)
        }
        return Response(status: .accepted)
    }
}
