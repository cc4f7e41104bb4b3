import Hummingbird
import TricircleGateway

/// `/servers/{id}/metadata[/{key}]`: kept by the server's pod; routed there unchanged.
struct ServerMetadataRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/metadata", use: calls.forwardToServer)
        group.put("servers/:id/metadata", use: calls.forwardToServer)
        group.post("servers/:id/metadata", use: calls.forwardToServer)
        group.get("servers/:id/metadata/:key", use: calls.forwardToServer)
        group.put("servers/:id/metadata/:key", use: calls.forwardToServer)
        group.delete("servers/:id/metadata/:key", use: calls.forwardToServer)
    }
}
