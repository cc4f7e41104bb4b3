import Hummingbird
import TricircleGateway

/// `/servers/{id}/tags[/{tag}]` (microversion 2.26+): kept by the server's pod; routed there unchanged.
struct ServerTags: Sendable {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        let routed: @Sendable (Request, GatewayRequestContext) async throws -> Response = { request, context in
            try await calls.passThrough(request, context: context, serverID: try context.parameters.require("id"))
        }
        group.get("servers/:id/tags", use: routed)
        group.put("servers/:id/tags", use: routed)
        group.delete("servers/:id/tags", use: routed)
        group.get("servers/:id/tags/:tag", use: routed)
        group.put("servers/:id/tags/:tag", use: routed)
        group.delete("servers/:id/tags/:tag", use: routed)
    }
}
