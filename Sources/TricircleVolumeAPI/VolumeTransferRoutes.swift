import Hummingbird
import OpenStackModels
import TricircleGateway

/// `GET /v3/{project_id}/os-volume-transfer(/detail)` and, from 3.55, `/volume-transfers(/detail)`: the top
/// makes no transfers (creating one is not served), so it holds none and answers an empty list, as Cinder
/// does for a project without transfers. Horizon's volume list asks for the transfers to mark volumes
/// awaiting one, and reports "Unable to retrieve list of volumes" when that call fails.
struct VolumeTransferRoutes: APIRoutes {
    let api: VolumeAPI

    /// Cinder moved transfers to /volume-transfers in 3.55 (os-volume-transfer stays).
    static let newURLsSince = Microversion(3, 55)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-volume-transfer") { request, context in try await list(request, context, newURL: false) }
        group.get("os-volume-transfer/detail") { request, context in try await list(request, context, newURL: false) }
        group.get("volume-transfers") { request, context in try await list(request, context, newURL: true) }
        group.get("volume-transfers/detail") { request, context in try await list(request, context, newURL: true) }
    }

    func list(_ request: Request, _ context: GatewayRequestContext, newURL: Bool) async throws -> Response {
        let call = try await api.begin(request, context)
        guard !newURL || call.version >= Self.newURLsSince else {
            throw APIError(.notFound, "The resource could not be found.", format: .fault)
        }
        return api.json(["transfers": []], call: call)
    }
}
