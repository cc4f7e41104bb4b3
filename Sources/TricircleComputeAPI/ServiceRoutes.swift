import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `GET /os-services` (admin only): every pod's services. `openstack compute service list` prints
/// only id, binary, host, zone, status, state and updated_at, so the region is said in the host
/// (`<region>:<host>`), which also keeps two regions' same-named hosts apart; zones are the top's AZ
/// names; integer ids (before 2.53) are made unique by `PodSlots`, UUIDs (2.53+) stay.
struct ServiceRoutes: APIRoutes {
    let admin: ComputeAdminCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-services", use: list)
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
        var pods = try await admin.runtime.podDirectory.bottomPods()
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
}
