import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-quota-sets/{project}`: totals over the pods; an admin's update set in every pod.
struct QuotaSetRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-quota-sets/:project", use: show)
        group.get("os-quota-sets/:project/defaults", use: defaults)
        group.put("os-quota-sets/:project", use: update)
    }

    /// `GET /os-quota-sets/{project}`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        return try await showQuota(call, path: "/os-quota-sets/\(try call.param("project"))")
    }

    /// `GET /os-quota-sets/{project}/defaults`.
    func defaults(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        return try await showQuota(call, path: "/os-quota-sets/\(try call.param("project"))/defaults")
    }

    /// `GET /os-quota-sets/{project}[/defaults]`: each region enforces its own quota, so the top shows
    /// the project's totals over the pods that answered: limits and usage added up (a limit is
    /// unlimited, -1, when any region's is), as `/limits` does.
    func showQuota(_ call: VolumeCall, path: String) async throws -> Response {
        let full = path + PodForwarder.query(of: call.request)
        let answers = try await api.everyPod(call) { _ in .get(full) }
        var merged: [String: JSONValue] = [:]
        var answered = 0
        for (_, response) in answers where response.isSuccess {
            guard let set = (try? JSONValue(data: response.data))?["quota_set"]?.objectValue else { continue }
            answered += 1
            for (key, value) in set {
                merged[key] = Self.addQuota(merged[key], value)
            }
        }
        guard answered > 0 else {
            if let failure = answers.first?.1 { return api.relay(failure, call) }
            throw APIError(.serviceUnavailable, "No region answered for the quotas.", format: .fault, headers: [.retryAfter: "30"])
        }
        return api.json(["quota_set": .object(merged)], call: call)
    }

    /// Adds one region's quota value to the running total: numbers add (-1 wins as unlimited), usage
    /// objects add member-wise, anything else (the project id) is kept from the first region.
    static func addQuota(_ total: JSONValue?, _ value: JSONValue) -> JSONValue {
        guard let total else { return value }
        switch (total, value) {
        case (.number(let a), .number(let b)):
            return (a < 0 || b < 0) ? .int(-1) : .number(a + b)
        case (.object(let a), .object(let b)):
            var out = a
            for (key, member) in b { out[key] = addQuota(a[key], member) }
            return .object(out)
        default:
            return total
        }
    }

    /// `PUT /os-quota-sets/{project}` (admin): the given limits are set in every region at once, so
    /// they hold in each region; the answer is the first region's. The top's GET then shows the totals.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow volume_extension:quotas:update to be performed.", format: .fault)
        }
        let project = try call.param("project")
        let raw = try await api.body(call)
        _ = try api.member(raw, "quota_set")
        let pods = try await api.runtime.podDirectory.bottomPods()
        let answers = try await Fanout.results(pods) { pod in
            try await api.send(call, .rawJSON("PUT", "/os-quota-sets/\(project)", body: raw), to: pod)
        }
        // Any refusal is the answer (regions that accepted keep the new value; a retry converges).
        for answer in answers {
            let response = try answer.get()
            if !response.isSuccess { return api.relay(response, call) }
        }
        guard case .success(let first)? = answers.first else {
            throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .fault)
        }
        return api.relay(first, call)
    }
}
