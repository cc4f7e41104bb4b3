import HTTPTypes
import Hummingbird
import TricircleGateway

/// The version documents, open without a token as in Glance.
struct VersionRoutes: APIRoutes {
    let versions: ImageVersions

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/", use: list)
        group.get("/versions", use: versionsDocument)
        group.get("/v2", use: v2)
    }

    /// `GET /`: 300, as Glance answers.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        await versions.document(request, status: .multipleChoices)
    }

    /// `GET /versions`: 200.
    func versionsDocument(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        await versions.document(request, status: .ok)
    }

    /// `GET /v2`: 300, as Glance answers.
    func v2(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        await versions.document(request, status: .multipleChoices)
    }
}
