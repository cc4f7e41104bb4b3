import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleGateway

/// `/servers/{id}/ips[/{network}]`: the server's addresses keyed by the top network's name, as the server's
/// view shows them (the pod keys them by its network's name, which is the top network's id).
struct ServerIPRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/ips", use: list)
        group.get("servers/:id/ips/:network", use: show)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (response, addresses) = try await podAddresses(request, context: context)
        guard let addresses else { return ComputePodCalls.relay(response, request: request) }
        return Self.json(["addresses": .object(addresses)], like: response, request: request)
    }

    /// Nova looks the label up among the server's networks; the top's label is the top network's name.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let label = try context.parameters.require("network")
        let (response, addresses) = try await podAddresses(request, context: context)
        guard let addresses else { return ComputePodCalls.relay(response, request: request) }
        guard let entries = addresses[label] else {
            throw Nova.notFound("Instance is not a member of specified network")
        }
        return Self.json([label: entries], like: response, request: request)
    }

    /// The pod's `/ips` with its keys renamed to top network names (nil addresses: relay the pod's answer).
    private func podAddresses(
        _ request: Request, context: GatewayRequestContext
    ) async throws -> (RegionalResponse, [String: JSONValue]?) {
        let server = try await calls.server(request, context)
        let response = try await calls.call("GET", "/servers/\(server.id)/ips", on: server)
        guard response.isSuccess, let addresses = (try? JSONValue(data: response.data))?["addresses"]?.objectValue else {
            return (response, nil)
        }
        var renamed: [String: JSONValue] = [:]
        for (key, value) in addresses { renamed[await calls.views.networkName(key) ?? key] = value }
        return (response, renamed)
    }

    /// A body of the top's own making, with the pod's status and headers.
    static func json(_ body: JSONValue, like response: RegionalResponse, request: Request) -> Response {
        var copy = response
        copy.body = ByteBuffer(data: body.encoded())
        return ComputePodCalls.relay(copy, request: request)
    }
}
