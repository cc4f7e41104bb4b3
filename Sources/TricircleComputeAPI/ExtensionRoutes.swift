import Hummingbird
import OpenStackClient
import TricircleCore
import TricircleGateway

/// `/extensions[/{alias}]`: Nova's frozen list of legacy extensions. Every pod runs one Nova, whose
/// list this is, so the first pod to answer gives it (an unknown alias is its 404).
struct ExtensionRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("extensions", use: list)
        group.get("extensions/:alias", use: show)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await fromAnyPod(request, context, path: "/extensions")
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let alias = try context.parameters.require("alias")
        return try await fromAnyPod(request, context, path: "/extensions/\(alias)")
    }

    func fromAnyPod(_ request: Request, _ context: GatewayRequestContext, path: String) async throws -> Response {
        let caller = try context.requireCaller()
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        let pods = try await calls.pods.bottomPods()
        let calls = calls
        let answer = await Fanout.first(pods) { pod -> RegionalResponse? in
            guard let response = try? await calls.call("GET", path, pod: pod, version: version, credentials: credentials),
                  response.status < 500 else { return nil }
            return response
        }
        guard let answer else {
            throw APIError(.serviceUnavailable, "No region answered for the extension list; try again.", format: .fault)
        }
        return ComputePodCalls.relay(answer, request: request)
    }
}
