import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

extension VolumeAPI {
    func addExtraSpecRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("types/:id/extra_specs") { request, context in try await extraSpecs(try await begin(request, context), key: nil) }
        group.post("types/:id/extra_specs") { request, context in try await extraSpecs(try await begin(request, context), key: nil) }
        for method in [HTTPRequest.Method.get, .put, .delete] {
            group.on("types/:id/extra_specs/:key", method: method) { request, context in
                let call = try await begin(request, context)
                return try await extraSpecs(call, key: try call.param("key"))
            }
        }
    }

    /// A volume type's extra specs. The top's type id (or name) is mapped to each pod's type by name:
    /// reads go to the first pod (AZ order) that has it; an admin's changes go to every pod that has it at
    /// once, so the type means the same everywhere. Any pod's refusal is the answer.
    func extraSpecs(_ call: VolumeCall, key: String?) async throws -> Response {
        let id = try call.param("id")
        let pods = try await runtime.podDirectory.bottomPods()
        let lists = await withTaskGroup(of: (Int, [VolumeTypeCatalog.Entry]?).self) { group in
            for (index, pod) in pods.enumerated() {
                group.addTask { (index, try? await types.entries(in: pod, call: call)) }
            }
            var out = [[VolumeTypeCatalog.Entry]?](repeating: nil, count: pods.count)
            for await (index, list) in group { out[index] = list }
            return out
        }
        guard let name = lists.lazy.compactMap({ list in list?.first(where: { $0.id == id || $0.name == id })?.name }).first else {
            throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
        }
        let targets: [(Pod, String)] = zip(pods, lists).compactMap { pod, list in
            list?.first(where: { $0.name == name }).map { (pod, $0.id) }
        }
        let suffix = "/extra_specs" + (key.map { "/\($0)" } ?? "")
        let hasBody = call.request.method == .post || call.request.method == .put
        let raw = hasBody ? try await body(call) : nil
        if call.request.method == .get, let (pod, podTypeID) = targets.first {
            return relay(try await forward(call, to: pod, path: "/types/\(podTypeID)\(suffix)"), call)
        }
        let answers = await withTaskGroup(of: (Int, Result<RegionalResponse, APIError>).self) { group in
            for (index, (pod, podTypeID)) in targets.enumerated() {
                group.addTask {
                    do { return (index, .success(try await forward(call, to: pod, path: "/types/\(podTypeID)\(suffix)", body: raw))) }
                    catch let error as APIError { return (index, .failure(error)) }
                    catch { return (index, .failure(APIError.podUnavailable(error, region: pod.regionName, format: .fault))) }
                }
            }
            var out = [Result<RegionalResponse, APIError>?](repeating: nil, count: targets.count)
            for await (index, result) in group { out[index] = result }
            return out.compactMap { $0 }
        }
        for answer in answers {
            switch answer {
            case .failure(let error): throw error
            case .success(let response) where !response.isSuccess: return relay(response, call)
            default: continue
            }
        }
        guard case .success(let first)? = answers.first else {
            throw APIError(.notFound, "Volume type \(id) could not be found.", format: .fault)
        }
        return relay(first, call)
    }
}
