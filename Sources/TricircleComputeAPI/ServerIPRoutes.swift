import Hummingbird
import TricircleGateway

/// `/servers/{id}/ips[/{network}]`: the addresses as the server's pod reports them.
struct ServerIPRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/ips", use: calls.forwardToServer)
        group.get("servers/:id/ips/:network", use: calls.forwardToServer)
    }
}
