import Hummingbird
import OpenStackModels
import TricircleGateway

/// `GET /v3/{project_id}/groups` and `/groups/detail` (generic volume groups, 3.13+): the top creates no
/// groups (POST /groups is not served), so it holds none and answers an empty list, as Cinder does for a
/// project without groups. Horizon's Create Volume form lists them for its Group field and, when the list
/// fails, redirects away instead of opening the form.
struct VolumeGroupRoutes: APIRoutes {
    let api: VolumeAPI

    /// Cinder serves groups from 3.13; below it the URL is unknown (404).
    static let since = Microversion(3, 13)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("groups", use: list)
        group.get("groups/detail", use: list)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.version >= Self.since else {
            throw APIError(.notFound, "The resource could not be found.", format: .fault)
        }
        return api.json(["groups": []], call: call)
    }
}
