import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-networks` and `/os-tenant-networks` below 2.36: what Nova answers from Neutron since nova-network
/// went (`id` and `label`, every other nova-network field null; tenant networks `cidr` "None"), and 410
/// for the writes Nova removed.
struct NetworkProxyRoutes: APIRoutes {
    let proxy: NeutronProxy

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        for path in ["os-networks", "os-tenant-networks"] {
            group.get(RouterPath(stringLiteral: path), use: list)
            group.get(RouterPath(stringLiteral: path + "/:id"), use: show)
            group.post(RouterPath(stringLiteral: path), use: gone)
            group.delete(RouterPath(stringLiteral: path + "/:id"), use: gone)
        }
        group.post("os-networks/add", use: gone)
        group.post("os-networks/:id/action", use: gone)
    }

    static let fields = ["id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6", "label", "netmask_v6"]
    static let adminFields = [
        "created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge", "vlan", "vpn_public_address",
        "vpn_public_port", "vpn_private_address", "dhcp_start", "project_id", "host", "bridge_interface", "multi_host",
        "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp", "share_address",
    ]

    static func tenant(_ request: Request) -> Bool { request.uri.path.contains("/os-tenant-networks") }

    func view(_ network: JSONValue, tenant: Bool, call: CatalogCall) -> JSONValue {
        if tenant { return ["id": network["id"] ?? .null, "cidr": "None", "label": network["name"] ?? .null] }
        var out: [String: JSONValue] = [:]
        for field in Self.fields + (call.caller.isAdmin ? Self.adminFields : []) { out[field] = .null }
        out["id"] = network["id"] ?? .null
        out["label"] = network["name"] ?? .null
        return .object(out)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let networks = try await proxy.neutron("GET", "/networks", call: call).json["networks"]?.arrayValue ?? []
        return call.json(["networks": .array(networks.map { view($0, tenant: Self.tenant(request), call: call) })])
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let id = try context.parameters.require("id")
        let answer = try await proxy.neutron("GET", "/networks/\(id)", call: call)
        guard answer.isSuccess, let network = answer.json["network"] else { throw Nova.notFound("Network not found") }
        return call.json(["network": view(network, tenant: Self.tenant(request), call: call)])
    }

    /// nova-network's writes, removed in Nova 21.0.0 (410 whatever the version below 2.36).
    func gone(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        _ = try NeutronProxy.call(request, context)
        throw APIError(.gone, "Gone", format: .fault)
    }
}
