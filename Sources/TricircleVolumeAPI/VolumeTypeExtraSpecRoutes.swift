import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/types/{id}/extra_specs[/{key}]`: read from one pod holding the type, changed in all of them.
struct VolumeTypeExtraSpecRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("types/:id/extra_specs", use: specs)
        group.post("types/:id/extra_specs", use: specs)
        for method in [HTTPRequest.Method.get, .put, .delete] {
            group.on("types/:id/extra_specs/:key", method: method, use: spec)
        }
    }

    /// All of a type's extra specs.
    func specs(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await extraSpecs(try await api.begin(request, context), key: nil)
    }

    /// One extra spec.
    func spec(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        return try await extraSpecs(call, key: try call.param("key"))
    }

    /// A volume type's extra specs. The top's type id (or name) is mapped to each pod's type by name:
    /// reads go to the first pod (AZ order) that has it; an admin's changes go to every pod that has it at
    /// once, so the type means the same everywhere. Any pod's refusal is the answer.
    func extraSpecs(_ call: VolumeCall, key: String?) async throws -> Response {
        let id = try call.param("id")
        let targets = try await api.types.holders(of: id, call: call)
        let suffix = "/extra_specs" + (key.map { "/\($0)" } ?? "")
        let hasBody = call.request.method == .post || call.request.method == .put
        let raw = hasBody ? try await api.body(call) : nil
        if call.request.method == .get, let (pod, podTypeID) = targets.first {
            return api.relay(try await api.forward(call, to: pod, path: "/types/\(podTypeID)\(suffix)"), call)
        }
        let answers = try await Fanout.results(targets) { pod, podTypeID in
            try await api.forward(call, to: pod, path: "/types/\(podTypeID)\(suffix)", body: raw)
        }
        for answer in answers {
            switch answer {
            case .failure(let error): throw error
            case .success(let response) where !response.isSuccess: return api.relay(response, call)
            default: continue
            }
        }
        guard case .success(let first)? = answers.first else {
            throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
        }
        return api.relay(first, call)
    }
}
