import Hummingbird
import OpenStackModels
import TricircleGateway

/// Trove's version documents, open without a token.
struct VersionRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/", use: list)
        group.get("/v1.0", use: current)
    }

    /// `GET /`: `{"versions": [v1.0]}`, 200 as Trove answers.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        api.json(["versions": [version(request)]])
    }

    /// `GET /v1.0`.
    func current(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        api.json(["version": version(request)])
    }

    func version(_ request: Request) -> JSONValue {
        let origin = PodForwarder.publicOrigin(of: request) ?? ""
        return ["id": "v1.0", "status": "CURRENT", "updated": "2012-08-01T00:00:00Z",
                "links": [["href": .string("\(origin)/v1.0/"), "rel": "self"]]]
    }
}
