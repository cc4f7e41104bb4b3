import Hummingbird
import TricircleGateway

/// `/servers/{id}/os-instance-actions[/{request_id}]`: the action log kept by the server's pod.
struct InstanceActionRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/os-instance-actions", use: calls.forwardToServer)
        group.get("servers/:id/os-instance-actions/:request", use: calls.forwardToServer)
    }
}
