import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/servers/{id}/os-interface[/{port}]`: routed to the server's pod. An attach names top networks or
/// ports; they are made present in the pod by the network provisioner (when wired) and replaced by the
/// pod's ids; the ports it created are released again if the pod refuses the attach.
struct ServerInterfaceRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id/os-interface", use: calls.forwardToServer)
        group.get("servers/:id/os-interface/:port", use: calls.forwardToServer)
        group.delete("servers/:id/os-interface/:port", use: calls.forwardToServer)
        group.post("servers/:id/os-interface", use: attach)
    }

    func attach(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let network = calls.provisioners.network else {
            return try await calls.passThrough(request, context: context, serverID: id)
        }
        let caller = try context.requireCaller()
        let pod = try await calls.owningPod(serverID: id, caller: caller)
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        var body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        let podContext = PodCallContext(caller: caller, requestID: context.requestID)
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
            "POST", "/servers/\(id)/os-interface", pod: pod, version: version, credentials: credentials,
            body: ByteBuffer(data: JSONValue.object(body).encoded()))
        if !response.isSuccess, let prepared {
            await network.release(prepared, in: pod, context: podContext)
        }
        return ComputePodCalls.relay(response, request: request)
    }
}
