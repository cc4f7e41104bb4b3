import HTTPTypes
import Hummingbird
import OpenStackModels
import TricircleGateway

extension VolumeAPI {
    func addZoneRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-availability-zone") { request, context in try await listZones(try await begin(request, context)) }
    }

    /// `GET /os-availability-zone`: the AZs the top's pods serve (the registered pods, no pod call).
    func listZones(_ call: VolumeCall) async throws -> Response {
        let zones = try await runtime.podDirectory.bottomPods().map(\.azName)
        let info: [JSONValue] = Array(Set(zones)).sorted().map { ["zoneName": .string($0), "zoneState": ["available": true]] }
        return json(["availabilityZoneInfo": .array(info)], call: call)
    }
}
