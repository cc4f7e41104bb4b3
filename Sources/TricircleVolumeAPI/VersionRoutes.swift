import Hummingbird
import OpenStackModels
import TricircleGateway

/// The version documents, open without a token as in Cinder.
struct VersionRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/", use: list)
        group.get("/v3", use: current)
    }

    /// `GET /`: 300, as Cinder answers.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await versionList(request, status: .multipleChoices)
    }

    /// `GET /v3`.
    func current(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await versionList(request, status: .ok)
    }

    /// `GET /` (300) and `GET /v3` (200): the v3 version with the range the top can promise.
    func versionList(_ request: Request, status: HTTPResponse.Status) async throws -> Response {
        let (low, high) = await api.versions.current()
        let origin = PodForwarder.publicOrigin(of: request) ?? ""
        let version: JSONValue = [
            "id": "v3.0", "status": "CURRENT", "version": .string(high.description), "min_version": .string(low.description),
            "updated": "2023-08-31T00:00:00Z",
            "links": [
                ["rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"],
                ["rel": "self", "href": .string("\(origin)/v3/")],
            ],
            "media-types": [["base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"]],
        ]
        return api.json(["versions": [version]], status: status, call: nil)
    }
}
