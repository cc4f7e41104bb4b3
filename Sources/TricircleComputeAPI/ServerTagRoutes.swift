import Hummingbird
import TricircleGateway

/// `/servers/{id}/tags[/{tag}]` (microversion 2.26+): kept by the server's pod; routed there unchanged.
struct ServerTagRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/tags", use: calls.forwardToServer)
        group.put("servers/:id/tags", use: calls.forwardToServer)
        group.delete("servers/:id/tags", use: calls.forwardToServer)
        group.get("servers/:id/tags/:tag", use: calls.forwardToServer)
        group.put("servers/:id/tags/:tag", use: calls.forwardToServer)
        group.delete("servers/:id/tags/:tag", use: calls.forwardToServer)
    }
}
