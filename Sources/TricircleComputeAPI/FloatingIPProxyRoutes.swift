import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-floating-ips[/{id}]` and `/os-floating-ip-pools` below 2.36: Nova's proxy to Neutron, answered from the top's floating IPs in
/// Nova's shape (`ip`, `fixed_ip`, `pool` = the external network's name, `instance_id` = the port's device).
struct FloatingIPProxyRoutes: APIRoutes {
    let proxy: NeutronProxy

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-floating-ips", use: list)
        group.post("os-floating-ips", use: create)
        group.get("os-floating-ips/:id", use: show)
        group.delete("os-floating-ips/:id", use: delete)
        group.get("os-floating-ip-pools", use: pools)
    }

    /// The external networks, named (or, unnamed, by id) as Nova lists pools.
    func pools(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let externals = try await proxy.neutron("GET", "/networks?router:external=True", call: call).json["networks"]?.arrayValue ?? []
        let items: [JSONValue] = externals.map { n in
            let name = n["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            return ["name": .string(name ?? n["id"]?.stringValue ?? "")]
        }
        return call.json(["floating_ip_pools": .array(items)])
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let answer = try await proxy.neutron("GET", "/floatingips?" + NeutronProxy.query("tenant_id", [call.caller.projectID]), call: call)
        let ips = answer.json["floatingips"]?.arrayValue ?? []
        return call.json(["floating_ips": .array(try await views(ips, call: call))])
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let id = try context.parameters.require("id")
        let answer = try await proxy.neutron("GET", "/floatingips/\(id)", call: call)
        guard answer.isSuccess, let ip = answer.json["floatingip"] else {
            throw Nova.notFound("Floating IP not found for ID \(id)")
        }
        return call.json(["floating_ip": try await views([ip], call: call).first ?? .null])
    }

    /// `{"pool": name}` (or none: the one external network) allocates from that external network.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let buffer = try await request.bufferedBody(format: .fault)
        let pool = buffer.readableBytes > 0 ? (try? JSONValue(data: Data(buffer: buffer)))?["pool"]?.stringValue : nil
        let externals = try await proxy.neutron("GET", "/networks?router:external=True", call: call).json["networks"]?.arrayValue ?? []
        let network: JSONValue?
        if let pool {
            network = externals.first { $0["name"]?.stringValue == pool || $0["id"]?.stringValue == pool }
        } else {
            network = externals.count == 1 ? externals.first : nil
        }
        guard let networkID = network?["id"]?.stringValue else { throw Nova.notFound("Floating IP pool not found.") }
        let answer = try await proxy.neutron("POST", "/floatingips", body: ["floatingip": ["floating_network_id": .string(networkID)]], call: call)
        guard answer.isSuccess, let ip = answer.json["floatingip"] else {
            if answer.status == 409 || answer.message.contains("No more IP addresses") {
                throw Nova.notFound(pool.map { "No more floating IPs in pool \($0)." } ?? "No more floating IPs available.")
            }
            throw SecurityGroupProxyRoutes.refused(answer)
        }
        return call.json(["floating_ip": try await views([ip], call: call).first ?? .null])
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let id = try context.parameters.require("id")
        let answer = try await proxy.neutron("DELETE", "/floatingips/\(id)", call: call)
        guard answer.isSuccess else {
            throw answer.status == 404 ? Nova.notFound("Floating IP not found for ID \(id)") : SecurityGroupProxyRoutes.refused(answer)
        }
        return call.empty(.accepted)
    }

    /// Nova's view of each floating IP; its network and port are looked up once for all.
    func views(_ ips: [JSONValue], call: CatalogCall) async throws -> [JSONValue] {
        let networkIDs = Array(Set(ips.compactMap { $0["floating_network_id"]?.stringValue }))
        let portIDs = Array(Set(ips.compactMap { $0["port_id"]?.stringValue }))
        var names: [String: String] = [:]
        if !networkIDs.isEmpty {
            for n in try await proxy.neutron("GET", "/networks?" + NeutronProxy.query("id", networkIDs), call: call).json["networks"]?.arrayValue ?? [] {
                if let id = n["id"]?.stringValue { names[id] = n["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? id }
            }
        }
        var devices: [String: String] = [:]
        if !portIDs.isEmpty {
            for p in try await proxy.neutron("GET", "/ports?" + NeutronProxy.query("id", portIDs), call: call).json["ports"]?.arrayValue ?? [] {
                if let id = p["id"]?.stringValue, let device = p["device_id"]?.stringValue { devices[id] = device }
            }
        }
        return ips.map { ip in
            let network = ip["floating_network_id"]?.stringValue ?? ""
            let device = ip["port_id"]?.stringValue.flatMap { devices[$0] }
            return [
                "id": ip["id"] ?? .null, "ip": ip["floating_ip_address"] ?? .null, "fixed_ip": ip["fixed_ip_address"] ?? .null,
                "pool": .string(names[network] ?? network), "instance_id": device.map { .string($0) } ?? .null,
            ]
        }
    }
}
