import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-services` (admin only): every pod's services; updates and deletes go to the service's pod.
/// `openstack compute service list` prints only id, binary, host, zone, status, state and updated_at,
/// so the region is said in the host
/// (`<region>:<host>`), which also keeps two regions' same-named hosts apart; zones are the top's AZ
/// names; integer ids (before 2.53) are made unique by `PodSlots`, UUIDs (2.53+) stay.
struct ServiceRoutes: APIRoutes {
    let admin: ComputeAdminCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-services", use: list)
        group.put("os-services/:service", use: update)
        group.delete("os-services/:service", use: delete)
    }

    static func view(_ service: JSONValue, pod: Pod, slots: PodSlots) -> JSONValue {
        guard case .object(var o) = service else { return service }
        o["id"] = slots.topID(o["id"], in: pod)
        if let host = o["host"]?.stringValue { o["host"] = .string(TopHost.name(host, in: pod)) }
        if let zone = o["zone"]?.stringValue { o["zone"] = .string(TopHost.zone(zone, in: pod)) }
        return .object(o)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-services:list")
        var pods = try await admin.calls.pods.bottomPods()
        let slots = PodSlots(pods)
        var query = ComputeAdminCalls.query(request, dropping: ["host"])
        if let host = call.query("host") {
            // `host=<region>:<host>` asks that region for its host; a bare name is asked of every region.
            var bare = host
            if let parsed = TopHost.parse(host), pods.contains(where: { $0.regionName == parsed.region }) {
                pods = pods.filter { $0.regionName == parsed.region }
                bare = parsed.host
            }
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "host", value: bare)]
            query += (query.isEmpty ? "?" : "&") + (components.percentEncodedQuery ?? "")
        }
        let answers = try await admin.askEvery(call, "/os-services\(query)", pods: pods)
        var items: [JSONValue] = []
        for answer in answers {
            for item in answer.body?["services"]?.arrayValue ?? [] { items.append(Self.view(item, pod: answer.pod, slots: slots)) }
        }
        return admin.json(["services": .array(items)], call)
    }

    /// The pod holding the service with this UUID (2.53+), found in the pods' lists.
    func pod(ofService id: String, call: ComputeAdminCalls.Call) async throws -> Pod {
        let answers = try await admin.askEvery(call, "/os-services")
        guard let found = answers.first(where: { answer in
            answer.body?["services"]?.arrayValue?.contains { $0["id"]?.stringValue == id } ?? false
        }) else { throw Nova.notFound("Service \(id) could not be found.") }
        return found.pod
    }

    /// `PUT /os-services/{uuid}` (2.53+), or until 2.52 `PUT /os-services/{enable|disable|disable-log-reason|force-down}`
    /// naming the service by `host` (`<region>:<host>`, which says the region) and `binary`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-services:update")
        let id = try context.parameters.require("service")
        var body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        let slots = PodSlots(try await admin.calls.pods.bottomPods())
        let pod: Pod
        if call.atLeast(2, 53) {
            guard UUID(uuidString: id) != nil else { throw Nova.badRequest("Invalid uuid \(id)") }
            pod = try await self.pod(ofService: id, call: call)
        } else {
            let host = body["host"]?.stringValue ?? ""
            let pods = try await admin.calls.pods.bottomPods()
            guard let parsed = TopHost.parse(host), let found = pods.first(where: { $0.regionName == parsed.region }) else {
                throw Nova.notFound("Compute host \(host) with binary \(body["binary"]?.stringValue ?? "") could not be found.")
            }
            pod = found
            body["host"] = .string(parsed.host)
        }
        let response = try await admin.send(call, "PUT", "/os-services/\(id)", to: pod, body: .object(body))
        guard response.isSuccess, let service = (try? response.decode(JSONValue.self))?["service"] else {
            throw RelayedPodAnswer(response: response)
        }
        return admin.json(["service": Self.view(service, pod: pod, slots: slots)], call)
    }

    /// `DELETE /os-services/{id}`: an integer id says its region (`PodSlots`), a UUID is looked for.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-services:delete")
        let id = try context.parameters.require("service")
        let pod: Pod
        var bottom = id
        if call.atLeast(2, 53) {
            guard UUID(uuidString: id) != nil else { throw Nova.badRequest("Invalid uuid \(id)") }
            pod = try await self.pod(ofService: id, call: call)
        } else {
            let slots = PodSlots(try await admin.calls.pods.bottomPods())
            guard let number = Int(id), let (found, bottomID) = slots.resolve(number), bottomID > 0 else {
                throw Nova.notFound("Service \(id) could not be found.")
            }
            pod = found
            bottom = String(bottomID)
        }
        let response = try await admin.send(call, "DELETE", "/os-services/\(bottom)", to: pod)
        guard response.isSuccess else {
            if response.status == 404 { throw Nova.notFound("Service \(id) could not be found.") }
            throw RelayedPodAnswer(response: response)
        }
        var headers = HTTPFields()
        ComputeMicroversions.addHeaders(call.version, to: &headers)
        return Response(status: .noContent, headers: headers)
    }
}
