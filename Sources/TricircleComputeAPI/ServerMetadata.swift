import Hummingbird
import TricircleGateway

/// `/servers/{id}/metadata[/{key}]`: kept by the server's pod; routed there unchanged.
struct ServerMetadata: Sendable {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        let routed: @Sendable (Request, GatewayRequestContext) async throws -> Response = { request, context in
            try await calls.passThrough(request, context: context, serverID: try context.parameters.require("id"))
        }
        group.get("servers/:id/metadata", use: routed)
        group.put("servers/:id/metadata", use: routed)
        group.post("servers/:id/metadata", use: routed)
        group.get("servers/:id/metadata/:key", use: routed)
        group.put("servers/:id/metadata/:key", use: routed)
        group.delete("servers/:id/metadata/:key", use: routed)
    }
}
