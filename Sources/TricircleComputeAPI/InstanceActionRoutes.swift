import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/servers/{id}/os-instance-actions[/{request_id}]`: the action log kept by the server's pod. A
/// deleted server has no routing entry any more, yet Nova shows its actions from 2.21: then every pod
/// is asked with the caller's token (a pod answers only for a server of the caller's project, or for
/// an admin) and the pod that knows the server answers.
struct InstanceActionRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/os-instance-actions", use: actions)
        group.get("servers/:id/os-instance-actions/:request", use: actions)
    }

    func actions(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let serverID = try context.parameters.require("id")
        let caller = try context.requireCaller()
        if let row = try await calls.routing.resolveOne(topID: serverID, type: .server, projectID: ComputePodCalls.scope(caller)),
           try await calls.pods.pod(id: row.podID) != nil {
            return try await calls.passThrough(request, context: context, serverID: serverID)
        }
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        guard version >= Microversion(2, 21) else { throw Nova.serverNotFound(serverID) }
        let pods = try await calls.pods.bottomPods()
        let path = ComputePodCalls.podPath(request)
        let calls = calls
        let results = try await Fanout.results(pods) { pod in
            try await calls.call("GET", path, pod: pod, version: version, credentials: credentials)
        }
        let answers = results.compactMap { try? $0.get() }
        if let found = answers.first(where: \.isSuccess) { return ComputePodCalls.relay(found, request: request) }
        // The pod that knows the server may refuse (403) or not know the request id (404 naming it).
        if let refusal = answers.first(where: { $0.status != 404 && $0.status < 500 }) {
            return ComputePodCalls.relay(refusal, request: request)
        }
        if let named = answers.first(where: { String(buffer: $0.body).contains("Action for request_id") }) {
            return ComputePodCalls.relay(named, request: request)
        }
        throw Nova.serverNotFound(serverID)
    }
}
