import Hummingbird
import TricircleGateway

/// `/servers/{id}/ips[/{network}]`: the addresses as the server's pod reports them.
struct ServerIPs: Sendable {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        let routed: @Sendable (Request, GatewayRequestContext) async throws -> Response = { request, context in
            try await calls.passThrough(request, context: context, serverID: try context.parameters.require("id"))
        }
        group.get("servers/:id/ips", use: routed)
        group.get("servers/:id/ips/:network", use: routed)
    }
}
