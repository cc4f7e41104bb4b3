import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// Cinder's admin views of the hosts, merged over every pod: `os-services` (hosts as
/// `<region>:<host>`, zones as the top's AZs) and `scheduler-stats/get_pools` (pool names
/// `<region>:<host>@<backend>#<pool>`, so they keep the pod). Admin only, as in Cinder.
struct ServiceRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-services", use: services)
        group.get("scheduler-stats/get_pools", use: pools)
    }

    static func hostName(_ host: String, in pod: Pod) -> String { "\(pod.regionName):\(host)" }

    /// Asks every pod for `path` with the caller's token; pods that fail are left out (logged).
    func askEvery(_ call: VolumeCall, _ path: String, pods: [Pod]) async throws -> [(Pod, JSONValue)] {
        let api = api
        let timeout = api.listTimeout
        let results = try await Fanout.results(pods) { pod in
            var request = RegionalRequest.get(path)
            request.timeout = timeout
            return try await api.send(call, request, to: pod)
        }
        var answers: [(Pod, JSONValue)] = []
        for (pod, result) in zip(pods, results) {
            switch result {
            case .success(let response) where response.isSuccess:
                if let body = try? response.decode(JSONValue.self) { answers.append((pod, body)) }
            case .success(let response):
                api.logger.warning("pod refused an admin listing", metadata: ["region": "\(pod.regionName)", "path": "\(path)", "status": "\(response.status)"])
            case .failure(let error):
                api.logger.warning("pod did not answer an admin listing", metadata: ["region": "\(pod.regionName)", "path": "\(path)", "error": "\(error)"])
            }
        }
        return answers
    }

    static func forbidden(_ rule: String) -> APIError {
        APIError(.forbidden, "Policy doesn't allow \(rule) to be performed.", format: .fault)
    }

    /// The request's query with `host` replaced (nil: dropped).
    static func query(_ request: Request, host: String?) -> String {
        var items = request.uri.queryParameters.filter { $0.key != "host" }.map { URLQueryItem(name: String($0.key), value: String($0.value)) }
        if let host { items.append(URLQueryItem(name: "host", value: host)) }
        guard !items.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = items
        return "?" + (components.percentEncodedQuery ?? "")
    }

    /// `GET /os-services` (`host=<region>:<host>` asks that region only).
    func services(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else { throw Self.forbidden("volume_extension:services:index") }
        var pods = try await api.pods.bottomPods()
        var host: String? = request.uri.queryParameters.get("host").map { String($0) }
        if let given = host, let colon = given.firstIndex(of: ":"),
           let pod = pods.first(where: { $0.regionName == String(given[..<colon]) }) {
            pods = [pod]
            host = String(given[given.index(after: colon)...])
        }
        let answers = try await askEvery(call, "/os-services" + Self.query(request, host: host), pods: pods)
        var items: [JSONValue] = []
        for (pod, body) in answers {
            for item in body["services"]?.arrayValue ?? [] {
                guard case .object(var o) = item else { continue }
                if let host = o["host"]?.stringValue { o["host"] = JSONValue.string(Self.hostName(host, in: pod)) }
                if let zone = o["zone"]?.stringValue, zone == pod.podAZName, !pod.podAZName.isEmpty { o["zone"] = JSONValue.string(pod.azName) }
                items.append(.object(o))
            }
        }
        return api.json(["services": .array(items)], call: call)
    }

    /// `GET /scheduler-stats/get_pools`.
    func pools(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else { throw Self.forbidden("scheduler_extension:scheduler_stats:get_pools") }
        let pods = try await api.pods.bottomPods()
        let answers = try await askEvery(call, "/scheduler-stats/get_pools" + PodForwarder.query(of: request), pods: pods)
        var items: [JSONValue] = []
        for (pod, body) in answers {
            for item in body["pools"]?.arrayValue ?? [] {
                guard case .object(var o) = item else { continue }
                if let name = o["name"]?.stringValue { o["name"] = JSONValue.string(Self.hostName(name, in: pod)) }
                items.append(.object(o))
            }
        }
        return api.json(["pools": .array(items)], call: call)
    }
}
