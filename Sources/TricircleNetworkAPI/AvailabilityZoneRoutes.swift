import Hummingbird
import OpenStackModels
import TricircleGateway

/// `GET /v2.0/availability_zones`: the AZs the top can place networks and routers in, one per pod AZ
/// (`availability_zone_hints` name these), each for resource `network` and `router`.
struct AvailabilityZoneRoutes: APIRoutes {
    let service: NetworkService

    static let resources = ["network", "router"]
    static let filters: Set<String> = ["name", "resource", "state"]

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("availability_zones", use: list)
    }

    /// `GET /v2.0/availability_zones`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let parameters = QueryString.decoded(request.uri.query)
        let fields = parameters.filter { $0.0 == "fields" }.flatMap { $0.1.split(separator: ",").map(String.init) }
        var wanted: [String: Set<String>] = [:]
        for (name, value) in parameters where name != "fields" {
            guard Self.filters.contains(name) else {
                throw NeutronError.httpBadRequest("\(name) is invalid attribute for filtering")
            }
            wanted[name, default: []].insert(value)
        }
        let zones = Set(try await service.services.pods.bottomPods().map(\.azName).filter { !$0.isEmpty }).sorted()
        var out: [JSONValue] = []
        for zone in zones {
            for resource in Self.resources {
                let entry: [String: JSONValue] = ["name": .string(zone), "resource": .string(resource), "state": "available"]
                let matches = wanted.allSatisfy { key, values in entry[key]?.stringValue.map(values.contains) ?? false }
                if matches {
                    out.append(.object(NeutronHTTP.project(entry, fields: fields)))
                }
            }
        }
        return NeutronHTTP.json(["availability_zones": .array(out)])
    }
}
