import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `POST /servers/{id}/action`: every action goes to the server's pod. Ids that differ between the top
/// and the pod are translated (rebuild's image, resize's flavor, a security group added); everything
/// else in the body — and every action not named here — passes through unchanged.
struct ServerActionRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("servers/:id/action", use: action)
    }

    /// A resize holds the quota reservation of its growth (`ServerQuota`) until the pod answered.
    func action(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = QuotaClaim(quota: calls.quota, scope: .compute)
        do {
            let response = try await action(request, context: context, claim: claim)
            await claim.settle()
            return response
        } catch {
            await claim.settle()
            throw error
        }
    }

    func action(_ request: Request, context: GatewayRequestContext, claim: QuotaClaim) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try context.requireCaller()
        let pod = try await calls.owningPod(serverID: id, caller: caller)
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        let raw = try await ComputePodCalls.body(request)
        var body = try ComputePodCalls.jsonObject(raw)
        guard body.count == 1, let name = body.keys.first else {
            throw Nova.badRequest("There is no such action: \(body.keys.sorted().joined(separator: ", "))")
        }
        let podContext = PodCallContext(caller: caller, requestID: context.requestID)
        var changed = false
        var resized: QuotaHolding?
        switch name {
        case "rebuild":
            guard var rebuild = body[name]?.objectValue.map(ServerRebuild.init(object:)) else { break }
            if let image = rebuild.imageRef, let provisioner = calls.provisioners.image {
                rebuild.imageRef = try await provisioner.ensureImage(Self.lastComponent(image), in: pod, context: podContext)
                body[name] = .object(rebuild.object)
                changed = true
            }
            // A new key pair (2.54+) is the caller's top key pair: made present in the pod first, as for a boot.
            if let keyName = rebuild.keyName, let provisioner = calls.provisioners.keypair {
                try await provisioner.ensureKeypair(keyName, in: pod, context: podContext)
            }
        case "resize":
            guard var resize = body[name]?.objectValue.map(ServerResize.init(object:)), let flavor = resize.flavorRef else { break }
            resized = try await ServerQuota(calls: calls).reserveResize(
                serverID: id, flavorRef: flavor, projectID: caller.projectID, requestID: context.requestID, claim: claim)
            if let mapping = calls.provisioners.flavor {
                resize.flavorRef = try await mapping.bottomFlavor(Self.lastComponent(flavor), in: pod, context: podContext)
                body[name] = .object(resize.object)
                changed = true
            }
        case "addSecurityGroup":
            if var group = body[name]?.objectValue, let groupName = group["name"]?.stringValue, let network = calls.provisioners.network {
                let prepared = try await network.prepare(networks: nil, securityGroups: [groupName], in: pod, context: podContext)
                if let bottom = prepared.securityGroups.first {
                    group["name"] = .string(bottom)
                    body[name] = .object(group)
                    changed = true
                }
            }
        default:
            break
        }
        let payload = changed ? ByteBuffer(data: JSONValue.object(body).encoded()) : raw
        let response = try await calls.call(
            "POST", "/servers/\(id)/action", pod: pod, version: version, credentials: credentials, body: payload)
        if response.isSuccess, let resized { claim.made(resized) }
        // A snapshot or backup lands in the pod's Glance: it becomes a top image under the same id (imported by a job).
        if name == "createImage" || name == "createBackup", response.status == 202, let images = calls.provisioners.image, let imageID = Self.snapshotID(response) {
            try await images.imageMadeInPod(imageID, in: pod, context: podContext)
        }
        return ComputePodCalls.relay(response, request: request)
    }

    /// The image a createImage made: `image_id` in the body (2.45+), else the Location header's last segment.
    static func snapshotID(_ response: RegionalResponse) -> String? {
        if let id = (try? JSONValue(data: response.data))?["image_id"]?.stringValue { return id }
        return response.header("Location").map(lastComponent)
    }

    /// An id from a reference that may be a URL (`http://.../images/<id>`).
    static func lastComponent(_ reference: String) -> String {
        reference.split(separator: "/").last.map(String.init) ?? reference
    }
}
