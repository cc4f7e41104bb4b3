import Hummingbird
import TricircleGateway

/// Every other `/servers/{id}/...` resource Nova has (diagnostics, os-server-password, migrations,
/// remote-consoles, os-security-groups, topology, ...): routed to the server's pod unchanged, so nothing
/// the pods offer is lost at the top.
struct ServerSubresources: Sendable {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        let routed: @Sendable (Request, GatewayRequestContext) async throws -> Response = { request, context in
            try await calls.passThrough(request, context: context, serverID: try context.parameters.require("id"))
        }
        group.get("servers/:id/**", use: routed)
        group.post("servers/:id/**", use: routed)
        group.put("servers/:id/**", use: routed)
        group.delete("servers/:id/**", use: routed)
    }
}
