import HTTPTypes
import Hummingbird
import OpenStackModels
import TricircleGateway

/// `/os-availability-zone`: the top's AZs.
struct AvailabilityZoneRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-availability-zone", use: list)
    }

    /// `GET /os-availability-zone`: the AZs the top's pods serve (the registered pods, no pod call).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let zones = try await api.pods.bottomPods().map(\.azName)
        let info: [JSONValue] = Array(Set(zones)).sorted().map { ["zoneName": .string($0), "zoneState": ["available": true]] }
        return api.json(["availabilityZoneInfo": .array(info)], call: call)
    }
}
