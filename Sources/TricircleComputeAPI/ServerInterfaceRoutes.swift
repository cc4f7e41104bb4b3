import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/servers/{id}/os-interface[/{port}]`: routed to the server's pod. An attach names top networks or
/// ports; they are made present in the pod by the network provisioner (when wired) and replaced by the
/// pod's ids; the ports it created are released again if the pod refuses the attach. Answers name the
/// top's port, network and subnet ids, and a port in the path is the top's.
struct ServerInterfaceRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/os-interface", use: list)
        group.get("servers/:id/os-interface/:port", use: onePort)
        group.delete("servers/:id/os-interface/:port", use: onePort)
        group.post("servers/:id/os-interface", use: attach)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let server = try await calls.server(request, context)
        let response = try await calls.call("GET", "/servers/\(server.id)/os-interface", on: server)
        return await views.translated(response, request: request, pod: server.pod)
    }

    /// Show and detach: the port in the path is the top's, the pod knows its copy.
    func onePort(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let port = try context.parameters.require("port")
        let server = try await calls.server(request, context)
        let pod = server.pod
        let podPort = await views.bottomPort(port, pod: pod)
        let response = try await calls.call(request.method.rawValue, "/servers/\(server.id)/os-interface/\(podPort)", on: server)
        guard response.status != 404 || podPort == port else {
            // Nova's wording names the port the client gave.
            throw Nova.notFound("Port \(port) is not attached")
        }
        return await views.translated(response, request: request, pod: pod)
    }

    private var views: InterfaceViews { InterfaceViews(routings: calls.routing) }

    func attach(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let network = calls.provisioners.network else {
            return try await calls.passThrough(request, context: context, serverID: id)
        }
        let server = try await calls.server(request, context, id: id)
        let pod = server.pod
        var body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        let podContext = PodCallContext(caller: server.caller, requestID: context.requestID)
        var prepared: PreparedNetworks?
        if var attachment = body["interfaceAttachment"]?.objectValue {
            // The same shape as one entry of a boot's `networks`, so the boot's translation applies.
            var entry: [String: JSONValue] = [:]
            if let port = attachment["port_id"]?.stringValue { entry["port"] = .string(port) }
            if let net = attachment["net_id"]?.stringValue { entry["uuid"] = .string(net) }
            if let ip = attachment["fixed_ips"]?.arrayValue?.first?["ip_address"]?.stringValue { entry["fixed_ip"] = .string(ip) }
            if !entry.isEmpty {
                let result = try await network.prepare(networks: .array([.object(entry)]), securityGroups: [], in: pod, context: podContext)
                prepared = result
                let translated = result.networks?.arrayValue?.first
                if let port = translated?["port"]?.stringValue {
                    attachment["port_id"] = .string(port)
                    attachment["net_id"] = nil
                    attachment["fixed_ips"] = nil
                } else if let net = translated?["uuid"]?.stringValue {
                    attachment["net_id"] = .string(net)
                }
                body["interfaceAttachment"] = .object(attachment)
            }
        }
        let response = try await calls.call(
            "POST", "/servers/\(id)/os-interface", on: server, body: ByteBuffer(data: JSONValue.object(body).encoded()))
        if !response.isSuccess, let prepared {
            await network.release(prepared, in: pod, context: podContext)
        }
        return await views.translated(response, request: request, pod: pod)
    }
}

/// Pod ids in `interfaceAttachment(s)` replaced by the top's (ports, networks, subnets the top made
/// present in the pod are recorded in the routing table as top id -> pod id).
struct InterfaceViews: Sendable {
    let routings: RoutingService

    /// The pod's copy of a top port (the id itself when the pod has no recorded copy).
    func bottomPort(_ topPort: String, pod: Pod) async -> String {
        (try? await routings.resolve(topID: topPort, type: .port, podID: pod.podID, projectID: nil))?.bottomID ?? topPort
    }

    /// The top id of a pod's resource (the id itself when the top made no copy of it).
    func top(_ bottomID: String, _ type: ResourceType, pod: Pod) async -> String {
        let row = try? await routings.routings.list(
            filter: RoutingFilter(bottomID: bottomID, podID: pod.podID, resourceType: type), limit: 1).first
        return row?.topID ?? bottomID
    }

    func translate(_ attachment: JSONValue, pod: Pod) async -> JSONValue {
        guard var o = attachment.objectValue else { return attachment }
        if let port = o["port_id"]?.stringValue { o["port_id"] = .string(await top(port, .port, pod: pod)) }
        if let net = o["net_id"]?.stringValue { o["net_id"] = .string(await top(net, .network, pod: pod)) }
        if let fixed = o["fixed_ips"]?.arrayValue {
            var out: [JSONValue] = []
            for entry in fixed {
                guard var e = entry.objectValue, let subnet = e["subnet_id"]?.stringValue else { out.append(entry); continue }
                e["subnet_id"] = .string(await top(subnet, .subnet, pod: pod))
                out.append(.object(e))
            }
            o["fixed_ips"] = .array(out)
        }
        return .object(o)
    }

    /// The pod's answer with its attachment(s) translated; anything else relayed unchanged.
    func translated(_ response: RegionalResponse, request: Request, pod: Pod) async -> Response {
        guard response.isSuccess, let body = (try? JSONValue(data: response.data))?.objectValue else {
            return ComputePodCalls.relay(response, request: request)
        }
        var out = body
        if let one = body["interfaceAttachment"] { out["interfaceAttachment"] = await translate(one, pod: pod) }
        if let many = body["interfaceAttachments"]?.arrayValue {
            var items: [JSONValue] = []
            for item in many { items.append(await translate(item, pod: pod)) }
            out["interfaceAttachments"] = .array(items)
        }
        var copy = response
        copy.body = ByteBuffer(data: JSONValue.object(out).encoded())
        return ComputePodCalls.relay(copy, request: request)
    }
}
