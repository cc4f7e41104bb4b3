import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// A datastore version's configuration parameters (`/datastores/{ds}/versions/{v}/parameters[/{name}]`,
/// and by the version's id alone, `/datastores/versions/{id}/parameters[/{name}]`): every region's Trove
/// has its own rules and version ids, so the first region that answers (the home region first) is shown;
/// when none has it, the home region's own error.
struct ConfigurationParameterRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("datastores/:ds/versions/:version/parameters", use: first)
        group.get("datastores/:ds/versions/:version/parameters/:name", use: first)
        group.get("datastores/versions/:version/parameters", use: first)
        group.get("datastores/versions/:version/parameters/:name", use: first)
    }

    /// The same path in every region; the first success, home region first.
    func first(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        guard let range = request.uri.path.range(of: "/datastores/") else { throw DatabaseAPI.fault(TroveError.notFound(request.uri.path)) }
        let path = String(request.uri.path[range.lowerBound...])
        let pods = try await PodAnswers(api: api).homeFirst()
        let answers = try await Fanout.results(pods) { pod in try await api.send(call, .get(path), to: pod) }
        if let found = answers.lazy.compactMap({ try? $0.get() }).first(where: \.isSuccess) { return api.relay(found, call) }
        if let refused = answers.lazy.compactMap({ try? $0.get() }).first { return api.relay(refused, call) }
        throw APIError(.serviceUnavailable, "No region answered for \(path).", format: .trove, headers: [.retryAfter: "5"])
    }
}
