import Hummingbird
import TricircleGateway

/// `GET /`: the version document, open without a token as in Neutron.
struct VersionRoutes: APIRoutes {
    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/", use: list)
    }

    /// `GET /`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let origin = PodForwarder.publicOrigin(of: request) ?? ""
        return NeutronHTTP.json(["versions": [[
            "id": "v2.0", "status": "CURRENT",
            "links": [["href": .string(origin + "/v2.0/"), "rel": "self"]],
        ]]])
    }
}
