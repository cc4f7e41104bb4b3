import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// One instance, routed by id to the pod that holds it: show, update, delete, every action, and what
/// lives under it (databases, users and their access, root, configuration, logs, backups).
struct InstanceRoutes: APIRoutes {
    let api: DatabaseAPI

    /// Methods Trove answers under an instance.
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("instances/:id", use: show)
        group.put("instances/:id", use: routed)
        group.patch("instances/:id", use: routed)
        group.delete("instances/:id", use: delete)
        // Actions and sub-resources go to the instance's pod unchanged (ids in them are the pod's: top id =
        // bottom id); up to three levels under the instance (users/{name}/databases/{db}).
        for method in Self.methods {
            group.on("instances/:id/:a", method: method, use: routed)
            group.on("instances/:id/:a/:b", method: method, use: routed)
            group.on("instances/:id/:a/:b/:c", method: method, use: routed)
            group.on("instances/:id/:a/:b/:c/:d", method: method, use: routed)
        }
    }

    /// `GET /instances/{id}`: routed; a pod that says 404 makes the top forget the instance.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, call: call)
        let response = try await api.forward(call, to: pod, path: "/instances/\(bottomID)")
        if response.status == 404 { await api.forget(id, in: pod, context: call.podContext) }
        return api.relay(response, call)
    }

    /// Update, actions and sub-resources of one instance: the same path in its pod.
    func routed(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, call: call)
        let hasBody = [.post, .put, .patch].contains(request.method)
        let suffix = Self.suffix(of: request, after: id)
        let body = hasBody ? try await api.body(call) : nil
        // Attaching a configuration group: it must be kept by the instance's region (400 otherwise).
        if suffix.isEmpty, let body, let update = (try? JSONValue(data: Data(buffer: body)))?["instance"] {
            try await ConfigurationRoutes(api: api).requireSameRegion(update["configuration"], instance: id, in: pod, call: call)
        }
        // A resize (volume GiB or flavor RAM) changes the project's one Database quota: growth reserved first.
        if request.method == .post, suffix == "/action", let body,
           let action = (try? JSONValue(data: Data(buffer: body)))?.objectValue, let resize = action["resize"] {
            let quota = DatabaseQuota(api: api)
            var new: [String: Int] = [:]
            if let size = resize["volume"]?["size"]?.intValue { new["volumes"] = size }
            let flavor = InstanceCreateRoutes.text(resize["flavorRef"]) ?? resize["flavorRef"]?.intValue.map(String.init)
            if flavor != nil, case let ram = try await quota.ram(ofFlavor: flavor), ram > 0 { new["ram"] = ram }
            var sent = body
            if let flavor {
                sent = try await resizeBody(action, to: flavor, instance: id, in: pod, call: call)
            }
            let claim = quota.claim()
            guard !new.isEmpty,
                  let grown = try await quota.reserveGrowth(instanceID: id, to: new, projectID: call.caller.projectID, claim: claim)
            else { return api.relay(try await api.forward(call, to: pod, path: "/instances/\(bottomID)" + suffix, body: sent), call) }
            return try await claim.settling {
                let response = try await api.forward(call, to: pod, path: "/instances/\(bottomID)" + suffix, body: sent)
                if response.isSuccess { claim.made(grown) }
                return api.relay(response, call)
            }
        }
        let response = try await api.forward(call, to: pod, path: "/instances/\(bottomID)" + suffix, body: body)
        return api.relay(response, call)
    }

    /// A flavor resize's body for the instance's pod: the `flavorRef` names a top flavor, so the pod is sent
    /// its own flavor for it, found and checked as a create's is (the top's flavor mapping, the same vCPUs and
    /// RAM there); none there is Trove's 400 naming the region, before any quota or pod is touched.
    func resizeBody(_ action: [String: JSONValue], to flavor: String, instance id: String, in pod: Pod, call: DatabaseCall) async throws -> ByteBuffer {
        var outcome = PlacementCheck.Outcome(pod: pod)
        try await PlacementCheck(api: api).checkFlavor(flavor, in: pod, call: call, create: true, into: &outcome)
        guard outcome.placeable else {
            throw DatabaseAPI.badRequest("Cannot resize instance \(id) in region \(pod.regionName): " + outcome.problems.joined(separator: " "))
        }
        var action = action
        if let bottom = outcome.bottomFlavor, var resize = action["resize"]?.objectValue {
            resize["flavorRef"] = .string(bottom)
            action["resize"] = .object(resize)
        }
        return DatabaseAPI.encode(.object(action))
    }

    /// `DELETE /instances/{id}`: routed; the routing row goes once the pod says the instance is gone
    /// (Trove deletes asynchronously: a later show or list that gets 404 forgets it too).
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, call: call)
        let response = try await api.forward(call, to: pod, path: "/instances/\(bottomID)")
        if response.isSuccess {
            // Trove frees an instance's quota when it accepts the delete (`deltas` -1), so does the top.
            await DatabaseQuota(api: api).forget(instances: [id])
        }
        if response.status == 404 {
            await api.forget(id, in: pod, context: call.podContext)
        } else if response.isSuccess,
                  let check = try? await api.send(call, .get("/instances/\(bottomID)"), to: pod), check.status == 404 {
            await api.forget(id, in: pod, context: call.podContext)
        }
        return api.relay(response, call)
    }

    /// The raw (still percent-encoded) path after `/instances/{id}`, so user and database names reach the
    /// pod exactly as the client wrote them.
    static func suffix(of request: Request, after id: String) -> String {
        let path = request.uri.path
        guard let range = path.range(of: "/instances/\(id)") else { return "" }
        return String(path[range.upperBound...])
    }
}
