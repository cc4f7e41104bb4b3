import Hummingbird
import TricircleGateway

/// Every other `/servers/{id}/...` resource Nova has (diagnostics, os-server-password, migrations,
/// remote-consoles, os-security-groups, topology, ...): routed to the server's pod unchanged, so nothing
/// the pods offer is lost at the top.
struct ServerSubresourceRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/**", use: calls.forwardToServer)
        group.post("servers/:id/**", use: calls.forwardToServer)
        group.put("servers/:id/**", use: calls.forwardToServer)
        group.delete("servers/:id/**", use: calls.forwardToServer)
    }
}
