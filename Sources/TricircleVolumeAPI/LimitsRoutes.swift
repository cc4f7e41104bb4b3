import HTTPTypes
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/limits`: summed over the pods.
struct LimitsRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("limits", use: show)
    }

    /// `GET /limits`: what the project may still place across all regions. Each region enforces its own
    /// quota, so the top's figures are the sums over the pods that answered (a limit is unlimited, -1,
    /// when any region's is). Pods that fail are left out, as in lists.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let path = "/limits" + PodForwarder.query(of: call.request)
        let answers = try await api.everyPod(call) { _ in .get(path) }
        var absolute: [String: Int] = [:]
        var answered = 0
        for (_, response) in answers where response.isSuccess {
            guard let values = (try? JSONValue(data: response.data))?["limits"]?["absolute"]?.objectValue else { continue }
            answered += 1
            for (key, value) in values {
                guard let number = value.intValue else { continue }
                let sum = absolute[key] ?? 0
                absolute[key] = (number < 0 || sum < 0) ? -1 : sum + number
            }
        }
        if answered == 0, let failure = answers.first?.1 { return api.relay(failure, call) }
        if answered == 0 {
            throw APIError(.serviceUnavailable, "No region answered for the limits.", format: .fault, headers: [.retryAfter: "30"])
        }
        return api.json(["limits": ["rate": [], "absolute": .object(absolute.mapValues { .int($0) })]], call: call)
    }
}
