import Hummingbird
import TricircleGateway

/// `/servers/{id}/os-instance-actions[/{request_id}]`: the action log kept by the server's pod.
struct InstanceActions: Sendable {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        let routed: @Sendable (Request, GatewayRequestContext) async throws -> Response = { request, context in
            try await calls.passThrough(request, context: context, serverID: try context.parameters.require("id"))
        }
        group.get("servers/:id/os-instance-actions", use: routed)
        group.get("servers/:id/os-instance-actions/:request", use: routed)
    }
}
